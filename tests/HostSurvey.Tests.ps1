#Requires -Version 7.4
# Get-HybridHostNetwork on a host prepared like a real one: a libvirt NAT network with a running
# and a shut-off guest, an inactive libvirt network, Docker's default bridge, a compose-style
# Docker network with several containers, an unmanaged bridge whose address lies inside the
# inactive network's subnet, and a hybrid bridge. Everything this file creates is named "hns..."
# and uses subnets of 10.252.0.0/16, and AfterAll removes it again.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $script:labReady = (Test-DockerAvailable) -and (Test-LibvirtAvailable)
}

Describe 'Host network survey' -Tag 'Integration', 'Docker', 'Libvirt' -Skip:(-not $labReady) {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        Import-TestLab
        Import-Module (Get-TestModulePath) -Force

        $script:uri = 'qemu:///system'
        $script:prefix = 'hns'

        # Removes only what this file creates: names starting with "hns". Other suites use "hnt"
        # and "hnlab", so their resources are never matched.
        function Remove-SurveyLeftover {
            foreach ($container in @(& docker ps -a --format '{{.Names}}') | Where-Object { $_ -like "$prefix*" }) {
                & docker rm -f $container *> $null
            }

            foreach ($domain in @(& virsh -q -c $uri list --all --name) | Where-Object { $_ -like "$prefix*" }) {
                Remove-HybridLabVM -Name $domain -ErrorAction SilentlyContinue
            }

            foreach ($network in @(& docker network ls --format '{{.Name}}') | Where-Object { $_ -like "$prefix*" }) {
                & docker network rm $network *> $null
            }

            foreach ($network in @(& virsh -q -c $uri net-list --all --name) | Where-Object { $_ -like "$prefix*" }) {
                & virsh -q -c $uri net-destroy $network *> $null
                & virsh -q -c $uri net-undefine $network *> $null
            }

            foreach ($link in @((& ip -j link show | ConvertFrom-Json).ifname) | Where-Object { $_ -like "$prefix*" }) {
                & ip link delete $link *> $null
            }
        }

        # Runs a program with the remaining arguments and throws when it fails. A simple function,
        # so arguments such as -q reach the program instead of being bound as parameters.
        function Invoke-Checked {
            $program, $arguments = $args
            $output = & $program @arguments 2>&1
            if ($LASTEXITCODE -ne 0) {
                throw "$program $($arguments -join ' ') failed with exit code ${LASTEXITCODE}: $output"
            }

            return $output
        }

        Remove-SurveyLeftover
        New-HybridLabImage | Out-Null
        New-HybridLabGuestAsset | Out-Null

        # Four /24 blocks in a row, none of them routed on this host yet.
        $routes = @((& ip -j -4 route show | ConvertFrom-Json).dst)
        do {
            $script:block = 5 * (Get-Random -Minimum 1 -Maximum 50)
            $taken = 0..3 | Where-Object { "10.252.$($block + $_).0/24" -in $routes }
        } while ($taken)

        $script:id = [Convert]::ToHexString([System.Security.Cryptography.RandomNumberGenerator]::GetBytes(2)).ToLowerInvariant()
        $script:natNetwork = "hns${id}nat"
        $script:natBridge = "hns${id}n"
        $script:natNet = "10.252.$block"
        $script:offNetwork = "hns${id}off"
        $script:offNet = "10.252.$($block + 1)"
        $script:composeProject = "hns${id}"
        $script:composeNetwork = "hns${id}_default"
        $script:composeBridge = "hns${id}c"
        $script:composeNet = "10.252.$($block + 2)"
        $script:hybridName = "hns${id}h"
        $script:hybridNet = "10.252.$($block + 3)"
        $script:plainBridge = "hns${id}u"
        $script:runningVm = "hns${id}-run"
        $script:stoppedVm = "hns${id}-off"
        $script:composeContainers = @(1..3 | ForEach-Object { "hns${id}-web-$_" })
        $script:defaultContainer = "hns${id}-plain"
        $script:hybridContainer = "hns${id}-hyb"

        $natXml = @"
<network>
  <name>$natNetwork</name>
  <forward mode='nat'/>
  <bridge name='$natBridge' stp='on' delay='0'/>
  <ip address='$natNet.1' prefix='24'>
    <dhcp>
      <range start='$natNet.100' end='$natNet.199'/>
    </dhcp>
  </ip>
</network>
"@
        $offXml = @"
<network>
  <name>$offNetwork</name>
  <bridge name='hns${id}o' stp='on' delay='0'/>
  <ip address='$offNet.1' prefix='24'/>
</network>
"@
        foreach ($pair in @(@($natNetwork, $natXml), @($offNetwork, $offXml))) {
            $file = Join-Path $TestDrive "$($pair[0]).xml"
            Set-Content -Path $file -Value $pair[1]
            Invoke-Checked virsh -q -c $uri net-define $file | Out-Null
        }

        Invoke-Checked virsh -q -c $uri net-start $natNetwork | Out-Null

        New-HybridLabVM -Name $runningVm -Network $natNetwork -Start | Out-Null
        New-HybridLabVM -Name $stoppedVm -Network $natNetwork | Out-Null

        Invoke-Checked docker network create --driver bridge --subnet "$composeNet.0/24" `
            --opt "com.docker.network.bridge.name=$composeBridge" `
            --label "com.docker.compose.project=$composeProject" --label 'com.docker.compose.network=default' `
            --label 'hybridnet.test=1' $composeNetwork | Out-Null
        $number = 0
        foreach ($container in $composeContainers) {
            $number++
            Invoke-Checked docker run -d --name $container --network $composeNetwork --label 'hybridnet.test=1' `
                --label "com.docker.compose.project=$composeProject" --label 'com.docker.compose.service=web' `
                --label "com.docker.compose.container-number=$number" hybridnet-lab/busybox:1 | Out-Null
        }

        New-TestContainer -Name $defaultContainer | Out-Null
        New-TestContainer -Name $hybridContainer | Out-Null

        # The unmanaged bridge's address lies inside the inactive libvirt network's subnet.
        Invoke-Checked ip link add $plainBridge type bridge | Out-Null
        Invoke-Checked ip addr add "$offNet.200/24" dev $plainBridge | Out-Null
        Invoke-Checked ip link set $plainBridge up | Out-Null

        New-HybridBridge -Name $hybridName -SubnetPool "$hybridNet.0/24" -ErrorAction Stop | Out-Null
        Connect-HybridContainer -Bridge $hybridName -Container $hybridContainer -ErrorAction Stop | Out-Null

        $script:guestAddress = Get-HybridLabGuestAddress -Name $runningVm -InterfaceName eth0 -TimeoutSec 180
        $script:survey = @(Get-HybridHostNetwork -WarningVariable surveyWarnings -WarningAction SilentlyContinue)
        $script:surveyWarnings = $surveyWarnings
        $script:findings = @(Get-HybridHostNetwork -FindingsOnly -WarningAction SilentlyContinue)
    }

    AfterAll {
        Remove-HybridBridge -Name $hybridName -Force -Confirm:$false -ErrorAction SilentlyContinue
        foreach ($container in @($composeContainers) + $defaultContainer + $hybridContainer) {
            & docker rm -f $container *> $null
        }

        & docker network rm $composeNetwork *> $null
        foreach ($vm in $runningVm, $stoppedVm) {
            Remove-HybridLabVM -Name $vm -ErrorAction SilentlyContinue
        }

        & virsh -q -c $uri net-destroy $natNetwork *> $null
        foreach ($network in $natNetwork, $offNetwork) {
            & virsh -q -c $uri net-undefine $network *> $null
        }

        & ip link delete $plainBridge *> $null
        Remove-SurveyLeftover
    }

    It 'reads libvirt and Docker without a warning' {
        # Warnings about single domains can come from other suites removing theirs meanwhile.
        @($surveyWarnings | Where-Object { "$_" -like '*The survey goes on without*' }) | Should -BeNullOrEmpty
    }

    It 'lists the NAT network' {
        $network = @($survey | Where-Object Name -eq $natNetwork)
        $network.Count | Should -Be 1
        $network[0].Owner | Should -Be 'LibvirtActive'
        $network[0].BridgeDevice | Should -Be $natBridge
        $network[0].State | Should -Be 'Up'
        $network[0].Subnet | Should -Be @("$natNet.0/24")
        $network[0].Gateway | Should -Be "$natNet.1"
        $network[0].DhcpRange | Should -Be @("$natNet.100-$natNet.199")
        $network[0].Forward | Should -Be 'nat'
    }

    It 'lists the running guest with its leased address' {
        $network = $survey | Where-Object Name -eq $natNetwork
        $vm = @($network.Vms | Where-Object Name -eq $runningVm)
        $vm.Count | Should -Be 1
        $vm[0].State | Should -Be 'running'
        $vm[0].IPAddress | Should -Be $guestAddress
        $vm[0].ToString() | Should -Be "$runningVm (running) $guestAddress"
    }

    It 'lists the shut-off guest' {
        $network = $survey | Where-Object Name -eq $natNetwork
        $vm = @($network.Vms | Where-Object Name -eq $stoppedVm)
        $vm.Count | Should -Be 1
        $vm[0].State | Should -Be 'shut off'
        $vm[0].ToString() | Should -BeLike "$stoppedVm (shut off)*"
    }

    It 'lists the inactive network as absent' {
        $network = @($survey | Where-Object Name -eq $offNetwork)
        $network.Count | Should -Be 1
        $network[0].Owner | Should -Be 'LibvirtInactive'
        $network[0].State | Should -Be 'Absent'
        $network[0].Subnet | Should -Be @("$offNet.0/24")
        $network[0].Forward | Should -Be 'isolated'
    }

    It 'maps Docker''s default network to docker0' {
        $network = @($survey | Where-Object { $_.Owner -eq 'Docker' -and $_.Name -eq 'bridge' })
        $network.Count | Should -Be 1
        $network[0].BridgeDevice | Should -Be 'docker0'
        $network[0].Gateway | Should -Not -BeNullOrEmpty
        $container = @($network[0].Containers | Where-Object Name -eq $defaultContainer)
        $container.Count | Should -Be 1
        $container[0].IPAddress | Should -Not -BeNullOrEmpty
    }

    It 'lists the compose network with its containers' {
        $network = @($survey | Where-Object Name -eq $composeNetwork)
        $network.Count | Should -Be 1
        $network[0].Owner | Should -Be 'Docker'
        $network[0].BridgeDevice | Should -Be $composeBridge
        $network[0].State | Should -Be 'Up'
        $network[0].Subnet | Should -Be @("$composeNet.0/24")
        $network[0].Forward | Should -Be 'nat'
        @($network[0].Containers.Name | Sort-Object) | Should -Be @($composeContainers | Sort-Object)
        foreach ($container in $network[0].Containers) {
            $container.IPAddress | Should -BeLike "$composeNet.*"
        }
    }

    It 'lists the unmanaged bridge' {
        $network = @($survey | Where-Object Name -eq $plainBridge)
        $network.Count | Should -Be 1
        $network[0].Owner | Should -Be 'Unmanaged'
        $network[0].BridgeDevice | Should -Be $plainBridge
        $network[0].State | Should -Be 'Up'
        $network[0].Subnet | Should -Be @("$offNet.0/24")
        $network[0].Gateway | Should -Be "$offNet.200"
    }

    It 'lists the hybrid bridge once' {
        $network = @($survey | Where-Object BridgeDevice -eq $hybridName)
        $network.Count | Should -Be 1
        $network[0].Owner | Should -Be 'HybridNet'
        $network[0].Name | Should -Be $hybridName
        $network[0].Subnet | Should -Be @("$hybridNet.0/24")
        $network[0].Forward | Should -Be 'isolated'
        $network[0].Containers.Name | Should -Contain $hybridContainer
    }

    It 'reports the overlap naming both' {
        $overlap = @($findings | Where-Object {
                $_.Kind -eq 'SubnetOverlap' -and $_.Message -like "*'$offNetwork'*" -and $_.Message -like "*'$plainBridge'*"
            })
        $overlap.Count | Should -Be 1
        $overlap[0].Severity | Should -Be 'Warning'
        $overlap[0].Network | Should -Be @($offNetwork, $plainBridge)
        ($survey | Where-Object Name -eq $offNetwork).Findings.Message | Should -Contain $overlap[0].Message
        ($survey | Where-Object Name -eq $plainBridge).Findings.Message | Should -Contain $overlap[0].Message
    }

    It 'reports no other overlap of the test subnets' {
        $ours = @($findings | Where-Object { $_.Kind -eq 'SubnetOverlap' -and $_.Message -like '*10.252.*' })
        $ours.Count | Should -Be 1
    }

    It 'reports no bridge claimed twice among the test networks' {
        @($findings | Where-Object { $_.Kind -eq 'BridgeClaimedTwice' -and $_.Message -like '*hns*' }) | Should -BeNullOrEmpty
    }

    It 'reports no path from the hybrid bridge' {
        $noPath = @($findings | Where-Object {
                $_.Kind -eq 'NoPath' -and $_.Network -contains $hybridName -and $_.Network -contains $composeNetwork
            })
        $noPath.Count | Should -Be 1
        $noPath[0].Message | Should -BeLike "*HybridNet bridge '$hybridName'*<forward>*"
    }

    It 'reports Docker isolation between Docker networks' {
        $noPath = @($findings | Where-Object {
                $_.Kind -eq 'NoPath' -and $_.Network -contains 'bridge' -and $_.Network -contains $composeNetwork
            })
        $noPath.Count | Should -Be 1
        $noPath[0].Message | Should -BeLike '*DOCKER-ISOLATION*'
    }

    It 'reports no path for the NAT network and Docker' {
        @($findings | Where-Object {
                $_.Kind -eq 'NoPath' -and $_.Network -contains $natNetwork -and $_.Network -contains $composeNetwork
            }) | Should -BeNullOrEmpty
    }

    It 'filters by name and owner' {
        $docker = @(Get-HybridHostNetwork -Name "hns$id*" -Owner Docker)
        $docker.Name | Should -Be @($composeNetwork)
        $libvirt = @(Get-HybridHostNetwork -Name "HNS$id*" -Owner LibvirtActive, LibvirtInactive)
        @($libvirt.Name | Sort-Object) | Should -Be @(@($natNetwork, $offNetwork) | Sort-Object)
    }

    It 'takes names from the pipeline' {
        $network = @(Get-HybridBridge -Name $hybridName | Get-HybridHostNetwork)
        $network.Count | Should -Be 1
        $network[0].Owner | Should -Be 'HybridNet'
    }

    It 'limits findings to the named network' {
        $own = @(Get-HybridHostNetwork -Name $plainBridge -FindingsOnly)
        $own.Count | Should -BeGreaterThan 0
        foreach ($finding in $own) {
            $finding.Network | Should -Contain $plainBridge
        }
    }

    It 'writes an error for an unknown name' {
        $result = @(Get-HybridHostNetwork -Name "hns${id}none" -ErrorAction SilentlyContinue -ErrorVariable failure)
        $result | Should -BeNullOrEmpty
        $failure.Count | Should -Be 1
        $failure[0].FullyQualifiedErrorId | Should -BeLike 'HostNetworkNotFound,*'
        $failure[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'goes on when Docker is unreachable' {
        $saved = $env:DOCKER_HOST
        try {
            $env:DOCKER_HOST = "unix:///run/hns-no-such-docker-$id.sock"
            $result = @(Get-HybridHostNetwork -WarningVariable warnings -WarningAction SilentlyContinue)
        }
        finally {
            $env:DOCKER_HOST = $saved
        }

        @($warnings | Where-Object { "$_" -like '*The survey goes on without Docker*' }).Count | Should -Be 1
        ($result | Where-Object Name -eq $natNetwork).Owner | Should -Be 'LibvirtActive'
        ($result | Where-Object Name -eq $composeBridge).Owner | Should -Be 'Unmanaged'
        ($result | Where-Object Name -eq $hybridName).Owner | Should -Be 'HybridNet'
    }

    It 'goes on when libvirt is unreachable' {
        $saved = $env:HYBRIDNET_LIBVIRT_URI
        try {
            $env:HYBRIDNET_LIBVIRT_URI = "qemu+unix:///system?socket=/run/hns-no-such-libvirt-$id.sock"
            $result = @(Get-HybridHostNetwork -WarningVariable warnings -WarningAction SilentlyContinue)
        }
        finally {
            $env:HYBRIDNET_LIBVIRT_URI = $saved
        }

        @($warnings | Where-Object { "$_" -like '*The survey goes on without libvirt*' }).Count | Should -Be 1
        ($result | Where-Object Name -eq $composeNetwork).Owner | Should -Be 'Docker'
        ($result | Where-Object Name -eq $natBridge).Owner | Should -Be 'Unmanaged'
        ($result | Where-Object Name -eq $natNetwork) | Should -BeNullOrEmpty
    }

    It 'changes nothing on the host' {
        $before = Get-HostSnapshot
        Get-HybridHostNetwork | Out-Null
        $after = Get-HostSnapshot
        foreach ($property in 'Links', 'LibvirtNetworks', 'DockerNetworks', 'Domains', 'Containers') {
            @($after.$property | Where-Object { $_ -like 'hns*' }) |
                Should -Be @($before.$property | Where-Object { $_ -like 'hns*' }) -Because $property
        }
    }
}
