#Requires -Version 7.2
<#
.SYNOPSIS
    Integration tests of tools/HybridLab.psm1 against the real Docker, libvirt and QEMU on this machine.

.DESCRIPTION
    The tests need root. They install missing Debian packages, start dockerd, virtlogd and libvirtd,
    and create containers, a Docker network, two isolated libvirt networks and lab VMs. All names
    start with hnlab-t and all addresses are in 10.251.0.0/16. AfterAll removes everything the tests
    created, and leftovers of an aborted run are removed first. The Docker image and the guest
    asset cache stay, because the lab reuses them. Traffic goes only to the tests' own containers,
    guests and bridge addresses.
#>

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '../tools/HybridLab.psm1') -Force

    $script:DockerNetwork = @{
        Name    = 'hnlab-t-docker'
        Bridge  = 'hnlabtd0'
        Subnet  = '10.251.3.0/24'
        Gateway = '10.251.3.1'
    }
    $script:ContainerName = 'hnlab-t-c1'
    $script:ForeignContainerName = 'hnlab-t-foreign'
    $script:Networks = @(
        @{ Name = 'hnlab-t1'; Bridge = 'hnlabt1'; Prefix = '10.251.1' }
        @{ Name = 'hnlab-t2'; Bridge = 'hnlabt2'; Prefix = '10.251.2' }
    )
    $script:VmName = 'hnlab-t-vm1'
    $script:StaticVmName = 'hnlab-t-vm2'
    $script:NoAgentVmName = 'hnlab-t-vm3'
    $script:ForeignDomainName = 'hnlab-t-foreign'
    $script:StaticAddress = '10.251.1.200'

    function Invoke-TestCommand {
        # Runs a program and returns its output lines; throws when it fails.
        param([Parameter(Mandatory)][string]$FilePath, [string[]]$ArgumentList = @())
        $output = & $FilePath @ArgumentList 2>&1
        if ($LASTEXITCODE -ne 0) {
            throw "$FilePath $($ArgumentList -join ' ') failed with exit code ${LASTEXITCODE}: $($output -join "`n")"
        }
        $output | ForEach-Object { "$_" }
    }

    function Invoke-TestDocker {
        param([Parameter(Mandatory)][string[]]$ArgumentList)
        Invoke-TestCommand -FilePath 'docker' -ArgumentList $ArgumentList
    }

    function Invoke-TestVirsh {
        param([Parameter(Mandatory)][string[]]$ArgumentList)
        Invoke-TestCommand -FilePath 'virsh' -ArgumentList (@('-c', 'qemu:///system') + $ArgumentList)
    }

    function Test-TestDomain {
        param([Parameter(Mandatory)][string]$Name)
        (Invoke-TestVirsh -ArgumentList @('list', '--all', '--name')) -contains $Name
    }

    function Get-TestElapsed {
        param([Parameter(Mandatory)][System.Diagnostics.Stopwatch]$Stopwatch)
        [math]::Round($Stopwatch.Elapsed.TotalSeconds, 1)
    }

    function Wait-TestLease {
        # Returns the lease lines of Network that name HostName, waiting up to 30 s for libvirt's
        # lease helper to record them.
        param([Parameter(Mandatory)][string]$Network, [Parameter(Mandatory)][string]$HostName)
        $deadline = [datetime]::UtcNow.AddSeconds(30)
        do {
            $leases = Invoke-TestVirsh -ArgumentList @('net-dhcp-leases', '--network', $Network) |
                Where-Object { $_ -match "\s$([regex]::Escape($HostName))\s" }
            if ($leases) {
                return $leases
            }
            Start-Sleep -Milliseconds 500
        } while ([datetime]::UtcNow -lt $deadline)
    }

    function New-TestLibvirtNetwork {
        # Creates a transient isolated network, so that destroying it also removes its definition.
        param([Parameter(Mandatory)][hashtable]$Network)
        $xml = @"
<network>
  <name>$($Network.Name)</name>
  <bridge name='$($Network.Bridge)' stp='off' delay='0'/>
  <domain name='$($Network.Name).test' localOnly='yes'/>
  <ip address='$($Network.Prefix).1' prefix='24'>
    <dhcp>
      <range start='$($Network.Prefix).2' end='$($Network.Prefix).127'/>
    </dhcp>
  </ip>
</network>
"@
        $path = Join-Path ([System.IO.Path]::GetTempPath()) "$($Network.Name).network.xml"
        Set-Content -LiteralPath $path -Value $xml
        try {
            Invoke-TestVirsh -ArgumentList @('net-create', '--file', $path) | Out-Null
        }
        finally {
            Remove-Item -LiteralPath $path
        }
    }

    function Expand-TestInitramfs {
        # Unpacks the gzip-compressed cpio archive at Path into Destination.
        param([Parameter(Mandatory)][string]$Path, [Parameter(Mandatory)][string]$Destination)
        $cpioPath = Join-Path $Destination 'initrd.cpio'
        $compressed = [System.IO.File]::OpenRead($Path)
        $decompress = [System.IO.Compression.CompressionMode]::Decompress
        $gzip = [System.IO.Compression.GZipStream]::new($compressed, $decompress)
        $output = [System.IO.File]::Create($cpioPath)
        try {
            $gzip.CopyTo($output)
        }
        finally {
            $output.Dispose()
            $gzip.Dispose()
        }
        Push-Location $Destination
        try {
            Invoke-TestCommand -FilePath 'cpio' -ArgumentList @('--quiet', '-i', '-d', '-F', $cpioPath) | Out-Null
        }
        finally {
            Pop-Location
        }
    }

    function Remove-TestResource {
        # Removes only what these tests create, by its exact name.
        foreach ($name in $script:VmName, $script:StaticVmName, $script:NoAgentVmName) {
            Remove-HybridLabVM -Name $name
            Remove-Item -LiteralPath "/var/log/hybridnet-lab/$name.console.log" -ErrorAction Ignore
        }
        if (Test-TestDomain -Name $script:ForeignDomainName) {
            Invoke-TestVirsh -ArgumentList @('undefine', '--domain', $script:ForeignDomainName) | Out-Null
        }
        $libvirtNetworks = Invoke-TestVirsh -ArgumentList @('net-list', '--all', '--name')
        foreach ($network in $script:Networks) {
            if ($libvirtNetworks -contains $network.Name) {
                Invoke-TestVirsh -ArgumentList @('net-destroy', '--network', $network.Name) | Out-Null
            }
        }

        Remove-HybridLabContainer -Name $script:ContainerName
        $containers = Invoke-TestDocker -ArgumentList @('ps', '--all', '--format', '{{.Names}}')
        if ($containers -contains $script:ForeignContainerName) {
            Invoke-TestDocker -ArgumentList @('rm', '--force', $script:ForeignContainerName) | Out-Null
        }
        $dockerNetworks = Invoke-TestDocker -ArgumentList @('network', 'ls', '--format', '{{.Name}}')
        if ($dockerNetworks -contains $script:DockerNetwork.Name) {
            Invoke-TestDocker -ArgumentList @('network', 'rm', $script:DockerNetwork.Name) | Out-Null
        }
    }

    Install-HybridLabPrerequisite | Out-Null
    Start-HybridLabDaemon
    Remove-TestResource
}

AfterAll {
    Remove-TestResource
}

Describe 'HybridLab' -Tag 'Integration', 'Lab' {
    Context 'Prerequisites and daemons' {
        It 'skips apt when everything is installed' {
            $installed = $null
            $elapsed = Measure-Command { $installed = Install-HybridLabPrerequisite }

            $installed | Should -BeNullOrEmpty
            $elapsed.TotalMilliseconds | Should -BeLessThan 1000
        }

        It 'starts no daemon twice' {
            $pidFiles = '/run/docker.pid', '/run/virtlogd.pid', '/run/libvirtd.pid'
            $before = $pidFiles | ForEach-Object { Get-Content -LiteralPath $_ -ErrorAction Ignore }

            Start-HybridLabDaemon

            $after = $pidFiles | ForEach-Object { Get-Content -LiteralPath $_ -ErrorAction Ignore }
            $after | Should -Be $before
            $dockerVersion = Invoke-TestDocker -ArgumentList @('version', '--format', '{{.Server.Version}}')
            $dockerVersion | Should -Not -BeNullOrEmpty
            Invoke-TestVirsh -ArgumentList @('version') | Should -Not -BeNullOrEmpty
        }
    }

    Context 'Docker image and container' {
        BeforeAll {
            $arguments = @(
                'network', 'create', '--driver', 'bridge',
                '--subnet', $script:DockerNetwork.Subnet, '--gateway', $script:DockerNetwork.Gateway,
                '--opt', "com.docker.network.bridge.name=$($script:DockerNetwork.Bridge)",
                $script:DockerNetwork.Name
            )
            Invoke-TestDocker -ArgumentList $arguments | Out-Null
        }

        It 'builds the busybox image' {
            $image = New-HybridLabImage

            $image.Name | Should -Be 'hybridnet-lab/busybox:1'
            $image.Id | Should -Match '^sha256:[0-9a-f]{64}$'
            $format = '{{json .Config.Cmd}} {{index .Config.Labels "hybridnet.test"}}'
            $config = Invoke-TestDocker -ArgumentList @('image', 'inspect', '--format', $format, $image.Name)
            $config | Should -Be '["/bin/sleep","infinity"] 1'
        }

        It 'returns the existing image unchanged' {
            $first = Get-HybridLabImage

            $second = New-HybridLabImage

            $second.Id | Should -Be $first.Id
        }

        It 'runs a labelled container' {
            $container = New-HybridLabContainer -Name $script:ContainerName -Network $script:DockerNetwork.Name

            $container.Name | Should -Be $script:ContainerName
            $container.Id | Should -Match '^[0-9a-f]{64}$'
            $format = '{{.State.Running}} {{.HostConfig.RestartPolicy.Name}} {{index .Config.Labels "hybridnet.test"}}'
            $state = Invoke-TestDocker -ArgumentList @('inspect', '--format', $format, $container.Id)
            $state | Should -Be 'true unless-stopped 1'
        }

        It 'container pings its network gateway' {
            $arguments = @('exec', $script:ContainerName, 'ping', '-c', '1', '-W', '3', $script:DockerNetwork.Gateway)

            $output = Invoke-TestDocker -ArgumentList $arguments

            ($output -join "`n") | Should -Match '1 packets received'
        }

        It 'rejects removing an unlabelled container' {
            $arguments = @(
                'run', '--detach', '--name', $script:ForeignContainerName, '--network', 'none',
                '--label', 'hybridnet.test=0', 'hybridnet-lab/busybox:1'
            )
            Invoke-TestDocker -ArgumentList $arguments | Out-Null

            { Remove-HybridLabContainer -Name $script:ForeignContainerName } | Should -Throw '*lacks the label*'

            $names = Invoke-TestDocker -ArgumentList @('ps', '--format', '{{.Names}}')
            $names | Should -Contain $script:ForeignContainerName
        }

        It 'removes a lab container' {
            Remove-HybridLabContainer -Name $script:ContainerName

            $names = Invoke-TestDocker -ArgumentList @('ps', '--all', '--format', '{{.Names}}')
            $names | Should -Not -Contain $script:ContainerName
        }
    }

    Context 'Guest assets' {
        BeforeAll {
            $script:Asset = New-HybridLabGuestAsset
            $name = "hnlab-t-initrd-$([guid]::NewGuid().ToString('N'))"
            $script:InitrdDirectory = Join-Path ([System.IO.Path]::GetTempPath()) $name
            New-Item -ItemType Directory -Path $script:InitrdDirectory | Out-Null
            Expand-TestInitramfs -Path $script:Asset.InitrdPath -Destination $script:InitrdDirectory
        }

        AfterAll {
            Remove-Item -LiteralPath $script:InitrdDirectory -Recurse -Force
        }

        It 'caches kernel and initramfs' {
            $script:Asset.CacheDirectory | Should -BeLike '/var/cache/hybridnet-lab/guest/linux-image-*-cloud-amd64_*'
            $script:Asset.KernelPath | Should -Exist
            $script:Asset.InitrdPath | Should -Exist
            (Get-Item -LiteralPath $script:Asset.KernelPath).Length | Should -BeGreaterThan 1MB
        }

        It 'contains qemu-ga, its loader and the DHCP script' {
            Join-Path $script:InitrdDirectory 'init' | Should -Exist
            Join-Path $script:InitrdDirectory 'usr/sbin/qemu-ga' | Should -Exist
            Join-Path $script:InitrdDirectory 'lib64/ld-linux-x86-64.so.2' | Should -Exist
            Join-Path $script:InitrdDirectory 'etc/udhcpc/default.script' | Should -Exist
        }

        It 'loads modules after their dependencies' {
            $order = @(Get-Content -LiteralPath (Join-Path $script:InitrdDirectory 'etc/hnlab/modules'))

            $order | Should -Be $script:Asset.ModuleOrder
            $order | Should -Contain 'virtio_pci'
            $order | Should -Contain 'virtio_net'
            $order | Should -Contain 'virtio_console'
            foreach ($module in $order) {
                # A plain byte search, independent of the ELF section reader in the module.
                $bytes = [System.IO.File]::ReadAllBytes((Join-Path $script:InitrdDirectory "lib/modules/$module.ko"))
                $text = [System.Text.Encoding]::Latin1.GetString($bytes)
                $field = [regex]::Match($text, "\x00depends=([^\x00]*)\x00")
                $field.Success | Should -BeTrue -Because "$module.ko has a depends= field"
                foreach ($dependency in $field.Groups[1].Value -split ',' | Where-Object { $_ }) {
                    $order | Should -Contain $dependency -Because "$module depends on $dependency"
                    $order.IndexOf($dependency) | Should -BeLessThan $order.IndexOf($module) `
                        -Because "$module depends on $dependency"
                }
            }
        }

        It 'reads depends= from <Tool> modules' -ForEach @(
            @{ Tool = 'xz'; Extension = '.xz' }
            @{ Tool = 'zstd'; Extension = '.zst' }
            @{ Tool = 'gzip'; Extension = '.gz' }
        ) {
            $plain = Join-Path $script:InitrdDirectory 'lib/modules/virtio_net.ko'
            $directory = New-Item -ItemType Directory -Path (Join-Path $script:InitrdDirectory "compressed-$Tool")
            $copy = Join-Path $directory 'virtio_net.ko'
            Copy-Item -LiteralPath $plain -Destination $copy
            Invoke-TestCommand -FilePath $Tool -ArgumentList @('-q', '-f', $copy) | Out-Null
            $parameters = @{
                Path        = "$copy$Extension"
                Destination = Join-Path $directory 'expanded.ko'
                Plain       = $plain
            }

            $result = InModuleScope HybridLab -Parameters $parameters {
                Expand-LabKernelModule -Path $Path -Destination $Destination
                [pscustomobject]@{
                    Expanded = Get-LabKernelModuleInfo -Path $Destination
                    Plain    = Get-LabKernelModuleInfo -Path $Plain
                }
            }

            $result.Expanded.Name | Should -Be 'virtio_net'
            $result.Expanded.Depends | Should -Be $result.Plain.Depends
            $result.Expanded.Depends | Should -Contain 'virtio_ring'
            $expectedHash = (Get-FileHash -LiteralPath $plain).Hash
            (Get-FileHash -LiteralPath $parameters.Destination).Hash | Should -Be $expectedHash
        }

        It 'skips modules built into the kernel' {
            $packageRoot = Join-Path $script:InitrdDirectory 'fake-package'
            $kernelPath = Join-Path $packageRoot 'lib/modules/6.0.0-test/kernel'
            $kernelDirectory = New-Item -ItemType Directory -Path $kernelPath
            Get-ChildItem -LiteralPath (Join-Path $script:InitrdDirectory 'lib/modules') -Filter '*.ko' |
                Where-Object Name -ne 'virtio_console.ko' |
                Copy-Item -Destination $kernelDirectory
            $builtinList = Join-Path $packageRoot 'lib/modules/6.0.0-test/modules.builtin'
            Set-Content -LiteralPath $builtinList -Value 'kernel/drivers/char/virtio_console.ko'
            $parameters = @{
                PackageRoot   = $packageRoot
                InitramfsRoot = Join-Path $script:InitrdDirectory 'fake-initramfs'
            }
            New-Item -ItemType Directory -Path $parameters.InitramfsRoot | Out-Null
            New-Item -ItemType Directory -Path (Join-Path $parameters.InitramfsRoot 'etc/hnlab') | Out-Null

            $order = InModuleScope HybridLab -Parameters $parameters {
                Add-LabGuestModule -PackageRoot $PackageRoot -InitramfsRoot $InitramfsRoot
            }

            $order | Should -Not -Contain 'virtio_console'
            $order | Should -Contain 'virtio_net'
            $order | Should -Contain 'virtio_pci'
            $listed = Get-Content -LiteralPath (Join-Path $parameters.InitramfsRoot 'etc/hnlab/modules')
            $listed | Should -Be $order
        }

        It 'reuses the cached assets' {
            $initrdWriteTime = (Get-Item -LiteralPath $script:Asset.InitrdPath).LastWriteTimeUtc

            $again = New-HybridLabGuestAsset

            $again.KernelPath | Should -Be $script:Asset.KernelPath
            $again.InitrdPath | Should -Be $script:Asset.InitrdPath
            (Get-Item -LiteralPath $again.InitrdPath).LastWriteTimeUtc | Should -Be $initrdWriteTime
        }
    }

    Context 'Lab VM' {
        BeforeAll {
            foreach ($network in $script:Networks) {
                New-TestLibvirtNetwork -Network $network
            }
            $script:VmStopwatch = [System.Diagnostics.Stopwatch]::StartNew()
            New-HybridLabVM -Name $script:VmName -Network $script:Networks[0].Name -Start | Out-Null
        }

        It 'defines a marked qemu domain' {
            $xml = [xml]((Invoke-TestVirsh -ArgumentList @('dumpxml', '--domain', $script:VmName)) -join "`n")

            $xml.domain.type | Should -Be 'qemu'
            $xml.domain.os.cmdline | Should -Be "console=ttyS0 hostname=$($script:VmName)"
            $xml.SelectSingleNode('/domain/features/acpi') | Should -Not -BeNullOrEmpty
            $xml.SelectSingleNode("/domain/devices/serial[@type='file']") | Should -Not -BeNullOrEmpty
            $arguments = @('metadata', '--domain', $script:VmName, '--uri', 'urn:hybridnet:lab:1')
            Invoke-TestVirsh -ArgumentList $arguments | Should -Not -BeNullOrEmpty
        }

        It 'guest agent responds to guest-ping' {
            $wait = Wait-HybridLabGuestAgent -Name $script:VmName -TimeoutSec 120

            $wait.Name | Should -Be $script:VmName
            Write-Host "Agent responded $(Get-TestElapsed $script:VmStopwatch) s after define and start"
        }

        It 'eth0 gets a DHCP lease' {
            $address = Get-HybridLabGuestAddress -Name $script:VmName -InterfaceName 'eth0' -TimeoutSec 60

            $address | Should -Match "^$([regex]::Escape($script:Networks[0].Prefix))\.\d+$"
            Write-Host "eth0 lease $address $(Get-TestElapsed $script:VmStopwatch) s after define and start"
        }

        It 'dnsmasq records the guest host name' {
            $leases = Wait-TestLease -Network $script:Networks[0].Name -HostName $script:VmName

            $leases | Should -Not -BeNullOrEmpty
        }

        It 'guest sets its host name' {
            $result = Invoke-HybridLabGuestCommand -Name $script:VmName -Path '/bin/hostname'

            $result.ExitCode | Should -Be 0
            $result.StdOut.Trim() | Should -Be $script:VmName
        }

        It 'guest command returns exit code and output' {
            $arguments = @('-c', 'echo to-stdout; echo to-stderr >&2; exit 3')

            $result = Invoke-HybridLabGuestCommand -Name $script:VmName -Path '/bin/sh' -ArgumentList $arguments

            $result.ExitCode | Should -Be 3
            $result.StdOut | Should -Be "to-stdout`n"
            $result.StdErr | Should -Be "to-stderr`n"
        }

        It 'hot-plugged NIC gets a DHCP lease' {
            $stopwatch = [System.Diagnostics.Stopwatch]::StartNew()
            $arguments = @(
                'attach-interface', '--domain', $script:VmName, '--type', 'network',
                '--source', $script:Networks[1].Name, '--model', 'virtio', '--live', '--config'
            )
            Invoke-TestVirsh -ArgumentList $arguments | Out-Null

            $address = Get-HybridLabGuestAddress -Name $script:VmName -InterfaceName 'eth1' -TimeoutSec 60

            $address | Should -Match "^$([regex]::Escape($script:Networks[1].Prefix))\.\d+$"
            Write-Host "eth1 lease $address $(Get-TestElapsed $stopwatch) s after hot-plug"
        }

        It 'guest pings the gateway through the hot-plugged NIC' {
            $arguments = @('-c', '1', '-W', '3', '-I', 'eth1', "$($script:Networks[1].Prefix).1")

            $result = Invoke-HybridLabGuestCommand -Name $script:VmName -Path '/bin/ping' -ArgumentList $arguments

            $result.ExitCode | Should -Be 0 -Because $result.StdOut
            $result.StdOut | Should -Match '1 packets received'
        }

        It 'guest pings the gateway through eth0' {
            $arguments = @('-c', '1', '-W', '3', '-I', 'eth0', "$($script:Networks[0].Prefix).1")

            $result = Invoke-HybridLabGuestCommand -Name $script:VmName -Path '/bin/ping' -ArgumentList $arguments

            $result.ExitCode | Should -Be 0 -Because $result.StdOut
        }

        It 'guest resolv.conf lists both DNS servers' {
            $arguments = @('/etc/resolv.conf')

            $result = Invoke-HybridLabGuestCommand -Name $script:VmName -Path '/bin/cat' -ArgumentList $arguments

            $result.StdOut | Should -Match "nameserver $([regex]::Escape($script:Networks[0].Prefix))\.1"
            $result.StdOut | Should -Match "nameserver $([regex]::Escape($script:Networks[1].Prefix))\.1"
        }

        It 'applies a static address from the kernel command line' {
            $vm = @{
                Name           = $script:StaticVmName
                Network        = $script:Networks[0].Name
                KernelArgument = "ip.eth0=$($script:StaticAddress)/24"
                Start          = $true
            }
            New-HybridLabVM @vm | Out-Null

            $address = Get-HybridLabGuestAddress -Name $script:StaticVmName -InterfaceName 'eth0' -TimeoutSec 120

            $address | Should -Be $script:StaticAddress
            $processes = Invoke-HybridLabGuestCommand -Name $script:StaticVmName -Path '/bin/ps'
            $processes.StdOut | Should -Not -Match 'udhcpc'
        }

        It 'leaves out the agent channel with -NoGuestAgent' {
            New-HybridLabVM -Name $script:NoAgentVmName -NoGuestAgent | Out-Null

            $xml = (Invoke-TestVirsh -ArgumentList @('dumpxml', '--domain', $script:NoAgentVmName)) -join "`n"
            $xml | Should -Not -Match 'org\.qemu\.guest_agent\.0'
            $xml | Should -Not -Match '<interface'
        }

        It 'rejects a second domain with the same name' {
            { New-HybridLabVM -Name $script:NoAgentVmName } | Should -Throw '*already exists*'
        }

        It 'rejects removing a domain without lab metadata' {
            $xml = @"
<domain type='qemu'>
  <name>$($script:ForeignDomainName)</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
</domain>
"@
            $path = Join-Path ([System.IO.Path]::GetTempPath()) "$($script:ForeignDomainName).xml"
            Set-Content -LiteralPath $path -Value $xml
            try {
                Invoke-TestVirsh -ArgumentList @('define', '--file', $path) | Out-Null
            }
            finally {
                Remove-Item -LiteralPath $path
            }

            { Remove-HybridLabVM -Name $script:ForeignDomainName } | Should -Throw '*lacks the lab metadata*'

            Test-TestDomain -Name $script:ForeignDomainName | Should -BeTrue
        }

        It 'removes a lab VM' {
            Remove-HybridLabVM -Name $script:NoAgentVmName

            Test-TestDomain -Name $script:NoAgentVmName | Should -BeFalse
        }
    }
}
