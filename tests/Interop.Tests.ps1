#Requires -Version 7.4
# Members that other tools attach to a hybrid bridge by its network name: a container started by
# Docker Compose (or, without the compose plugin, by docker run --network) and a libvirt domain
# whose interface names the libvirt network. Each must take an address from its own pool and be
# listed by Get-HybridEndpoint, and the two must reach each other.
#
# Every resource is named hnpi followed by six hex digits, and the bridge's subnet comes from
# 10.253.0.0/16. Leftovers of an aborted run with such names are removed first.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $script:labReady = (Test-DockerAvailable) -and (Test-LibvirtAvailable)
    & docker compose version *> $null
    $script:composeAvailable = $LASTEXITCODE -eq 0
    $script:containerMethod = if ($composeAvailable) {
        'docker compose with an external network'
    }
    else {
        'docker run --network, as the docker compose plugin is missing'
    }
}

Describe 'Members attached by other tools' -Tag 'Integration', 'Docker', 'Libvirt' -Skip:(-not $labReady) {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        Import-TestLab
        Import-Module (Get-TestModulePath) -Force

        $script:libvirtUri = 'qemu:///system'
        $script:namePattern = '^hnpi[0-9a-f]{6}'

        function Remove-InteropLeftovers {
            foreach ($container in Get-TestContainers | Where-Object { $_ -match $namePattern }) {
                & docker rm -f $container *> $null
            }

            foreach ($domain in Get-TestDomains | Where-Object { $_ -match $namePattern }) {
                try {
                    Remove-HybridLabVM -Name $domain
                }
                catch {
                    Write-Warning "Could not remove domain ${domain}: $($_.Exception.Message)"
                }
            }

            Get-HybridBridge -Name 'hnpi*' -ErrorAction SilentlyContinue |
                Where-Object Name -Match $namePattern |
                Remove-HybridBridge -Force -Confirm:$false
        }

        # Converts a dotted-quad IPv4 address to a number, for range checks.
        function ConvertTo-AddressNumber([string] $Address) {
            $bytes = [System.Net.IPAddress]::Parse($Address).GetAddressBytes()
            [array]::Reverse($bytes)
            return [System.BitConverter]::ToUInt32($bytes, 0)
        }

        function Test-InCidr([string] $Address, [string] $Cidr) {
            $network, $prefix = $Cidr -split '/'
            $mask = if ([int]$prefix -eq 0) { [uint32]0 } else { [uint32]::MaxValue -shl (32 - [int]$prefix) }
            return ((ConvertTo-AddressNumber $Address) -band $mask) -eq ((ConvertTo-AddressNumber $network) -band $mask)
        }

        function Test-InRange([string] $Address, [string] $Range) {
            $first, $last = $Range -split '-'
            $value = ConvertTo-AddressNumber $Address
            return $value -ge (ConvertTo-AddressNumber $first) -and $value -le (ConvertTo-AddressNumber $last)
        }

        Remove-InteropLeftovers
        New-HybridLabImage | Out-Null
        New-HybridLabGuestAsset | Out-Null

        $bytes = [byte[]]::new(3)
        [System.Security.Cryptography.RandomNumberGenerator]::Fill($bytes)
        $script:prefix = 'hnpi' + [Convert]::ToHexString($bytes).ToLowerInvariant()
        $script:bridgeName = $prefix
        $script:project = $prefix
        $script:containerName = "$prefix-web"
        $script:domainName = "$prefix-vm"
        $script:composeFile = Join-Path (Split-Path -Parent $PSScriptRoot) 'examples/compose/compose.yaml'

        $script:bridge = New-HybridBridge -Name $bridgeName -SubnetPool 10.253.0.0/16 -ErrorAction Stop

        # The container joins the bridge's Docker network only through Docker, by network name.
        if ($composeAvailable) {
            $env:HYBRID_BRIDGE = $bridgeName
            $env:HYBRID_IMAGE = 'hybridnet-lab/busybox:1'
            try {
                & docker compose -f $composeFile -p $project up -d web *> $null
                $containerId = & docker compose -f $composeFile -p $project ps -q web | Select-Object -First 1
                $script:containerName = (& docker inspect --format '{{.Name}}' $containerId).TrimStart('/')
            }
            finally {
                Remove-Item Env:HYBRID_BRIDGE, Env:HYBRID_IMAGE
            }
        }
        else {
            $runArguments = @('run', '--detach', '--name', $containerName, '--network', $bridgeName,
                '--label', 'hybridnet.test=1', 'hybridnet-lab/busybox:1')
            & docker @runArguments *> $null
        }

        $inspect = & docker inspect $containerName | ConvertFrom-Json
        $script:containerAddress = $inspect[0].NetworkSettings.Networks.$bridgeName.IPAddress

        # The domain's only NIC is <interface type='network'><source network='<bridge>'/>, as
        # virsh define writes it. No HybridNet cmdlet touches the domain.
        New-HybridLabVM -Name $domainName -Network $bridgeName -Start | Out-Null
        Wait-HybridLabGuestAgent -Name $domainName -TimeoutSec 180 | Out-Null
        $script:guestAddress = Get-HybridLabGuestAddress -Name $domainName -InterfaceName eth0 -TimeoutSec 120
        $script:domainXml = [xml](& virsh -q -c $libvirtUri dumpxml $domainName | Out-String)

        # libvirt's lease helper writes dnsmasq's lease file shortly after the lease, so poll for it.
        $script:endpoints = @()
        $deadline = [datetime]::UtcNow.AddSeconds(30)
        do {
            $script:endpoints = @(Get-HybridEndpoint -Bridge $bridgeName)
            $vm = $endpoints | Where-Object { $_.Kind -eq 'VM' -and $_.Name -eq $domainName }
            if ($vm -and $vm.IPAddress) {
                break
            }

            Start-Sleep -Seconds 1
        } while ([datetime]::UtcNow -lt $deadline)
    }

    AfterAll {
        if ($composeAvailable) {
            $env:HYBRID_BRIDGE = $bridgeName
            try {
                & docker compose -f $composeFile -p $project down *> $null
            }
            finally {
                Remove-Item Env:HYBRID_BRIDGE
            }
        }

        Remove-InteropLeftovers
    }

    Context 'Container started by <method>' -ForEach @{ method = $containerMethod } {
        It 'gets a container-pool address' {
            $containerAddress | Should -Not -BeNullOrEmpty
            $because = "$containerAddress should lie in $($bridge.ContainerPool)"
            Test-InCidr $containerAddress $bridge.ContainerPool | Should -BeTrue -Because $because
        }

        It 'is listed by Get-HybridEndpoint' {
            $listed = $endpoints | Where-Object { $_.Kind -eq 'Container' -and $_.Name -eq $containerName }
            $listed | Should -Not -BeNullOrEmpty
            $listed.IPAddress | Should -Be $containerAddress
        }
    }

    Context 'Domain defined with virsh on the network' {
        It 'names the libvirt network in its interface' {
            $interface = $domainXml.domain.devices.interface
            $interface.type | Should -Be 'network'
            $interface.source.network | Should -Be $bridgeName
        }

        It 'gets a VM-pool lease' {
            $guestAddress | Should -Not -BeNullOrEmpty
            $because = "$guestAddress should lie in $($bridge.VmPool)"
            Test-InRange $guestAddress $bridge.VmPool | Should -BeTrue -Because $because
        }

        It 'is listed by Get-HybridEndpoint' {
            $listed = $endpoints | Where-Object { $_.Kind -eq 'VM' -and $_.Name -eq $domainName }
            $listed | Should -Not -BeNullOrEmpty
            $listed.IPAddress | Should -Be $guestAddress
        }
    }

    Context 'Both members' {
        BeforeAll {
            $members = Get-HybridEndpoint -Bridge $bridgeName
            $script:results = @($members | Test-HybridConnectivity -ExcludeHost -ProbeTimeoutMs 2000)
        }

        It 'reach each other from the container' {
            $probe = $results | Where-Object { $_.Source -eq $containerName -and $_.Target -eq $domainName }
            "$($probe.Status)" | Should -Be 'Reachable' -Because $probe.Detail
        }

        It 'reach each other from the VM' {
            $probe = $results | Where-Object { $_.Source -eq $domainName -and $_.Target -eq $containerName }
            "$($probe.Status)" | Should -Be 'Reachable' -Because $probe.Detail
        }
    }
}
