#Requires -Version 7.2
<#
.SYNOPSIS
    Test lab for HybridNet: Docker containers and tiny libvirt/QEMU guests on one Debian 12 machine.

.DESCRIPTION
    The functions install the Debian packages the lab needs, start dockerd, virtlogd and libvirtd
    without systemd, build a busybox Docker image without a registry, and build and boot a small
    Linux guest (Debian cloud kernel with a busybox initramfs and the QEMU guest agent) that takes
    DHCP leases on every NIC, including NICs hot-plugged while it runs.

    All functions need root. Start-HybridLabDaemon must run before the container and VM functions.
#>

Set-StrictMode -Version Latest

$script:LabLogDirectory = '/var/log/hybridnet-lab'
$script:LabCacheDirectory = '/var/cache/hybridnet-lab'
$script:LabImageName = 'hybridnet-lab/busybox:1'
$script:LabLabelKey = 'hybridnet.test'
$script:LabLabelValue = '1'
$script:LibvirtUri = 'qemu:///system'
$script:LabMetadataUri = 'urn:hybridnet:lab:1'
$script:GuestAgentPortName = 'org.qemu.guest_agent.0'

# Modules the guest needs: virtio PCI transport, virtio NICs and the guest agent's virtio serial port.
# Their dependencies are read from the modules themselves.
$script:GuestModuleRoots = @('virtio_pci', 'virtio_net', 'virtio_console')

# Each probe returns $true when the package's command or file is present. Commands are probed
# instead of package names, so that an equivalent install (Docker CE's dockerd, say) counts too.
$script:PrerequisiteProbes = [ordered]@{
    'docker.io'                  = { Test-LabCommand 'dockerd' }
    'libvirt-daemon'             = { Test-LabCommand 'libvirtd' }
    'libvirt-daemon-driver-qemu' = {
        [System.IO.File]::Exists('/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so')
    }
    'libvirt-clients'            = { Test-LabCommand 'virsh' }
    'qemu-system-x86'            = { Test-LabCommand 'qemu-system-x86_64' }
    'dnsmasq-base'               = { Test-LabCommand 'dnsmasq' }
    # Debian's dynamic busybox package also installs /bin/busybox, but only a static one runs in
    # the image and the initramfs, which contain no libraries for it.
    'busybox-static'             = { Test-LabStaticExecutable -Path '/bin/busybox' }
    'cpio'                       = { Test-LabCommand 'cpio' }
    'iptables'                   = { Test-LabCommand 'iptables' }
    'iproute2'                   = { Test-LabCommand 'ip' }
    'qemu-guest-agent'           = { Test-LabCommand 'qemu-ga' }
    'graphviz'                   = { Test-LabCommand 'dot' }
    'iputils-ping'               = { Test-LabCommand 'ping' }
    'util-linux'                 = { Test-LabCommand 'nsenter' }
    'procps'                     = { Test-LabCommand 'pgrep' }
    # Newer Debian kernels ship modules as .ko.xz or .ko.zst, which the guest's insmod cannot read.
    'xz-utils'                   = { Test-LabCommand 'xz' }
    'zstd'                       = { Test-LabCommand 'zstd' }
}

#region Private helpers

function Invoke-LabNativeCommand {
    # Runs a program with an argument array and returns ExitCode, StdOut and StdErr. Throws when the
    # exit code is not 0 unless -NoThrow is set, and kills the process tree after TimeoutSec.
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)][string]$FilePath,
        [string[]]$ArgumentList = @(),
        [string]$WorkingDirectory,
        [string]$StandardInput,
        [hashtable]$Environment,
        [int]$TimeoutSec = 600,
        [switch]$NoThrow
    )

    $startInfo = [System.Diagnostics.ProcessStartInfo]::new($FilePath)
    foreach ($argument in $ArgumentList) {
        $startInfo.ArgumentList.Add($argument)
    }
    $startInfo.UseShellExecute = $false
    $startInfo.RedirectStandardInput = $true
    $startInfo.RedirectStandardOutput = $true
    $startInfo.RedirectStandardError = $true
    if ($WorkingDirectory) {
        $startInfo.WorkingDirectory = $WorkingDirectory
    }
    if ($Environment) {
        foreach ($key in $Environment.Keys) {
            $startInfo.Environment[$key] = [string]$Environment[$key]
        }
    }

    $commandText = (@($FilePath) + $ArgumentList) -join ' '
    Write-Verbose "Running: $commandText"
    $process = [System.Diagnostics.Process]::Start($startInfo)
    try {
        $stdoutTask = $process.StandardOutput.ReadToEndAsync()
        $stderrTask = $process.StandardError.ReadToEndAsync()
        if ($StandardInput) {
            $process.StandardInput.Write($StandardInput)
        }
        $process.StandardInput.Close()

        if (-not $process.WaitForExit($TimeoutSec * 1000)) {
            $process.Kill($true)
            throw "Command timed out after $TimeoutSec s and was killed: $commandText"
        }
        # A daemon started by the command may keep the pipes open, so the reads get a bounded wait.
        [void][System.Threading.Tasks.Task]::WaitAll(@($stdoutTask, $stderrTask), 10000)
        $stdout = if ($stdoutTask.IsCompleted) { $stdoutTask.Result } else { '' }
        $stderr = if ($stderrTask.IsCompleted) { $stderrTask.Result } else { '' }
        $result = [pscustomobject]@{
            ExitCode = $process.ExitCode
            StdOut   = $stdout
            StdErr   = $stderr
        }
    }
    finally {
        $process.Dispose()
    }

    if ($result.ExitCode -ne 0 -and -not $NoThrow) {
        $detail = ($result.StdErr.Trim(), $result.StdOut.Trim() | Where-Object { $_ }) -join "`n"
        throw "Command failed with exit code $($result.ExitCode): $commandText`n$detail"
    }
    $result
}

function Invoke-LabVirsh {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)][string[]]$ArgumentList,
        [int]$TimeoutSec = 120,
        [switch]$NoThrow
    )
    $arguments = @('-c', $script:LibvirtUri) + $ArgumentList
    Invoke-LabNativeCommand -FilePath 'virsh' -ArgumentList $arguments -TimeoutSec $TimeoutSec -NoThrow:$NoThrow
}

function Get-LabCommandPath {
    # Returns the first match in PATH, as a shell would. It searches PATH itself, because
    # Get-Command takes several ms per call and returns every match.
    param([Parameter(Mandatory)][string]$Name, [switch]$NoThrow)
    foreach ($directory in $env:PATH -split ':') {
        if ($directory) {
            $candidate = [System.IO.Path]::Combine($directory, $Name)
            if ([System.IO.File]::Exists($candidate)) {
                return $candidate
            }
        }
    }
    if (-not $NoThrow) {
        throw "Command $Name not found in PATH. Run Install-HybridLabPrerequisite."
    }
}

function Test-LabCommand {
    param([Parameter(Mandatory)][string]$Name)
    $null -ne (Get-LabCommandPath -Name $Name -NoThrow)
}

function Test-LabStaticExecutable {
    # Returns $true for an ELF executable without a PT_INTERP program header, that is one that
    # needs no dynamic loader.
    param([Parameter(Mandatory)][string]$Path)

    if (-not (Test-Path -LiteralPath $Path -PathType Leaf)) {
        return $false
    }
    $bytes = [System.IO.File]::ReadAllBytes($Path)
    if (-not (Test-LabElf64 -Bytes $bytes)) {
        return $false
    }
    $programHeaderOffset = [BitConverter]::ToUInt64($bytes, 0x20)
    $programHeaderSize = [BitConverter]::ToUInt16($bytes, 0x36)
    $programHeaderCount = [BitConverter]::ToUInt16($bytes, 0x38)
    $ptInterp = 3
    for ($i = 0; $i -lt $programHeaderCount; $i++) {
        $type = [BitConverter]::ToUInt32($bytes, [int]($programHeaderOffset + $i * $programHeaderSize))
        if ($type -eq $ptInterp) {
            return $false
        }
    }
    $true
}

function Test-LabElf64 {
    # Returns $true for a 64-bit little-endian ELF file, the only layout the readers here parse.
    param([Parameter(Mandatory)][byte[]]$Bytes)
    $Bytes.Length -ge 64 -and $Bytes[0] -eq 0x7f -and $Bytes[1] -eq 0x45 -and $Bytes[2] -eq 0x4c -and
    $Bytes[3] -eq 0x46 -and $Bytes[4] -eq 2 -and $Bytes[5] -eq 1 -and [BitConverter]::IsLittleEndian
}

function Assert-LabRoot {
    $userId = (Invoke-LabNativeCommand -FilePath 'id' -ArgumentList @('-u')).StdOut.Trim()
    if ($userId -ne '0') {
        throw "HybridLab needs root (uid 0), but runs as uid $userId. Run pwsh as root."
    }
}

function Assert-LabName {
    # Domain and container names become host names, file names and kernel command-line values.
    param([Parameter(Mandatory)][string]$Name, [Parameter(Mandatory)][string]$Kind)
    if ($Name -notmatch '^[a-z0-9][a-z0-9-]{0,62}$') {
        throw ("Invalid $Kind name '$Name': use 1-63 lower-case letters, digits and hyphens, " +
            'starting with a letter or digit.')
    }
}

function Wait-LabCondition {
    # Polls Condition until it returns something other than $null or $false, and returns that.
    param(
        [Parameter(Mandatory)][scriptblock]$Condition,
        [Parameter(Mandatory)][int]$TimeoutSec,
        [Parameter(Mandatory)][string]$Description,
        [int]$IntervalMilliseconds = 500,
        [scriptblock]$OnTimeout
    )
    $stopwatch = [System.Diagnostics.Stopwatch]::StartNew()
    while ($true) {
        $value = & $Condition
        $done = if ($value -is [bool]) { $value } else { $null -ne $value }
        if ($done) {
            return $value
        }
        if ($stopwatch.Elapsed.TotalSeconds -ge $TimeoutSec) {
            $detail = if ($OnTimeout) { "`n" + (& $OnTimeout) } else { '' }
            throw "Timed out after $TimeoutSec s waiting for $Description.$detail"
        }
        Start-Sleep -Milliseconds $IntervalMilliseconds
    }
}

function New-LabDirectory {
    param([Parameter(Mandatory)][string]$Path)
    [void][System.IO.Directory]::CreateDirectory($Path)
    $Path
}

function New-LabTemporaryDirectory {
    # Creates the directory under the cache so that finished files move into place with a rename.
    $path = Join-Path $script:LabCacheDirectory ('tmp-' + [guid]::NewGuid().ToString('N'))
    New-LabDirectory -Path $path
}

function Set-LabFileMode {
    param([Parameter(Mandatory)][string]$Path, [Parameter(Mandatory)][string]$Mode)
    [System.IO.File]::SetUnixFileMode($Path, [System.IO.UnixFileMode]([Convert]::ToInt32($Mode, 8)))
}

function Write-LabTextFile {
    # Writes LF line endings and no byte order mark, because the guest's busybox sh reads these files.
    param([Parameter(Mandatory)][string]$Path, [Parameter(Mandatory)][string]$Text, [string]$Mode = '644')
    $lf = $Text -replace "`r`n", "`n"
    [System.IO.File]::WriteAllText($Path, $lf, [System.Text.UTF8Encoding]::new($false))
    Set-LabFileMode -Path $Path -Mode $Mode
}

function Get-LabConsoleTail {
    param([Parameter(Mandatory)][string]$Name, [int]$LineCount = 25)
    $path = Join-Path $script:LabLogDirectory "$Name.console.log"
    if (-not (Test-Path -LiteralPath $path)) {
        return "Console log $path not found."
    }
    $lines = Get-Content -LiteralPath $path -Tail $LineCount
    "Last $LineCount lines of $path`:`n" + ($lines -join "`n")
}

function Invoke-LabGuestAgent {
    # Sends one guest agent command and returns the parsed "return" member.
    param(
        [Parameter(Mandatory)][string]$Name,
        [Parameter(Mandatory)][string]$Execute,
        [hashtable]$Arguments,
        [int]$TimeoutSec = 10,
        [switch]$NoThrow
    )
    $request = [ordered]@{ execute = $Execute }
    if ($Arguments) {
        $request['arguments'] = $Arguments
    }
    $json = $request | ConvertTo-Json -Compress -Depth 10
    $virshArguments = @('qemu-agent-command', '--domain', $Name, '--timeout', "$TimeoutSec", $json)
    $result = Invoke-LabVirsh -ArgumentList $virshArguments -TimeoutSec ($TimeoutSec + 30) -NoThrow
    if ($result.ExitCode -ne 0) {
        if ($NoThrow) {
            return $null
        }
        throw "Guest agent command $Execute on domain $Name failed: $($result.StdErr.Trim())"
    }
    ($result.StdOut | ConvertFrom-Json -Depth 20).return
}

function Get-LabJsonValue {
    # Returns a member of a parsed JSON object, or $null when it is absent (strict mode would throw).
    param($Object, [Parameter(Mandatory)][string]$Name)
    if ($null -eq $Object) {
        return $null
    }
    $property = $Object.PSObject.Properties[$Name]
    if ($property) { $property.Value } else { $null }
}

#endregion

#region Prerequisites and daemons

function Install-HybridLabPrerequisite {
    <#
    .SYNOPSIS
        Installs the Debian packages the lab needs when any of them is missing.

    .DESCRIPTION
        Probes one command or file per package. When all are present, apt is not run at all. Otherwise
        runs apt-get update and installs the missing packages without recommended packages, writing
        their names first. Packages: docker.io, libvirt-daemon, libvirt-daemon-driver-qemu,
        libvirt-clients, qemu-system-x86, dnsmasq-base, busybox-static, cpio, iptables, iproute2,
        qemu-guest-agent, graphviz, iputils-ping, util-linux, procps, xz-utils and zstd.

    .OUTPUTS
        System.String. The names of the packages installed; nothing when all were present.

    .EXAMPLE
        Install-HybridLabPrerequisite
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([string])]
    param()

    $ErrorActionPreference = 'Stop'
    $missing = @(
        foreach ($package in $script:PrerequisiteProbes.Keys) {
            if (-not (& $script:PrerequisiteProbes[$package])) {
                $package
            }
        }
    )
    if ($missing.Count -eq 0) {
        Write-Verbose 'All lab prerequisites are present.'
        return
    }
    if (-not $PSCmdlet.ShouldProcess(($missing -join ', '), 'apt-get install')) {
        return
    }

    Assert-LabRoot
    Write-Host "Installing Debian packages: $($missing -join ' ')"
    $environment = @{ DEBIAN_FRONTEND = 'noninteractive' }
    Invoke-LabNativeCommand -FilePath 'apt-get' -ArgumentList @('update') -Environment $environment | Out-Null
    $installArguments = @('install', '-y', '--no-install-recommends') + $missing
    $installParameters = @{
        FilePath     = 'apt-get'
        ArgumentList = $installArguments
        Environment  = $environment
        TimeoutSec   = 1800
    }
    Invoke-LabNativeCommand @installParameters | Out-Null

    $stillMissing = @($missing | Where-Object { -not (& $script:PrerequisiteProbes[$_]) })
    if ($stillMissing.Count -gt 0) {
        throw "apt-get installed the packages, but these still lack their command or file: $($stillMissing -join ', ')"
    }
    $missing
}

function Test-LabDockerResponse {
    $arguments = @('version', '--format', '{{.Server.Version}}')
    (Invoke-LabNativeCommand -FilePath 'docker' -ArgumentList $arguments -TimeoutSec 15 -NoThrow).ExitCode -eq 0
}

function Test-LabLibvirtResponse {
    (Invoke-LabVirsh -ArgumentList @('version') -TimeoutSec 30 -NoThrow).ExitCode -eq 0
}

function Start-LabDockerDaemon {
    if (Test-LabDockerResponse) {
        Write-Verbose 'dockerd already responds on /var/run/docker.sock.'
        return
    }
    $dockerd = Get-LabCommandPath -Name 'dockerd'
    $logPath = Join-Path $script:LabLogDirectory 'dockerd.log'
    # start-stop-daemon does nothing while the pid in dockerd's own pid file runs dockerd, so a
    # dockerd that is still starting is not started twice. --background detaches it into its own
    # session, so it outlives this pwsh process.
    $arguments = @(
        '--start', '--oknodo', '--background',
        '--pidfile', '/var/run/docker.pid',
        '--exec', $dockerd,
        '--output', $logPath
    )
    Write-Host "Starting dockerd (log: $logPath)"
    Invoke-LabNativeCommand -FilePath 'start-stop-daemon' -ArgumentList $arguments | Out-Null
    Wait-LabCondition -TimeoutSec 60 -Description 'dockerd to respond on /var/run/docker.sock' -Condition {
        Test-LabDockerResponse
    } -OnTimeout {
        "Last lines of ${logPath}:`n" + ((Get-Content -LiteralPath $logPath -Tail 20 -ErrorAction Ignore) -join "`n")
    } | Out-Null
}

function Initialize-LabLibvirtHost {
    # Does what Debian's libvirt-daemon-system package would do, which the lab does not install.
    New-LabDirectory -Path '/var/log/libvirt' | Out-Null
    New-LabDirectory -Path '/var/run/libvirt' | Out-Null

    $group = Invoke-LabNativeCommand -FilePath 'getent' -ArgumentList @('group', 'libvirt-qemu') -NoThrow
    if ($group.ExitCode -ne 0) {
        Write-Host 'Creating system group libvirt-qemu'
        Invoke-LabNativeCommand -FilePath 'groupadd' -ArgumentList @('--system', 'libvirt-qemu') | Out-Null
    }
    $user = Invoke-LabNativeCommand -FilePath 'getent' -ArgumentList @('passwd', 'libvirt-qemu') -NoThrow
    if ($user.ExitCode -ne 0) {
        # The QEMU driver of libvirt 9.0 fails to load when its user libvirt-qemu does not exist.
        Write-Host 'Creating system user libvirt-qemu'
        $arguments = @(
            '--system', '--gid', 'libvirt-qemu', '--home-dir', '/var/lib/libvirt',
            '--no-create-home', '--shell', '/usr/sbin/nologin', 'libvirt-qemu'
        )
        Invoke-LabNativeCommand -FilePath 'useradd' -ArgumentList $arguments | Out-Null
    }
    Grant-LabKvmAccess
}

function Grant-LabKvmAccess {
    # libvirt 9.0 probes QEMU with KVM as root but checks /dev/kvm as libvirt-qemu. While that user
    # cannot open /dev/kvm, libvirt discards its QEMU capability cache on every lookup and probes
    # again, about 4 s each, so one virsh define took 48 s. Debian's udev rule and
    # libvirt-daemon-system fix this with group kvm, mode 0660 and membership of libvirt-qemu, and
    # so does this function. The lab's domains still use software emulation (type qemu).
    $device = '/dev/kvm'
    if (-not (Test-Path -LiteralPath $device)) {
        return
    }
    $group = Invoke-LabNativeCommand -FilePath 'getent' -ArgumentList @('group', 'kvm') -NoThrow
    if ($group.ExitCode -ne 0) {
        Write-Host 'Creating system group kvm'
        Invoke-LabNativeCommand -FilePath 'groupadd' -ArgumentList @('--system', 'kvm') | Out-Null
    }
    $groupList = Invoke-LabNativeCommand -FilePath 'id' -ArgumentList @('-nG', 'libvirt-qemu')
    $groups = $groupList.StdOut.Trim() -split '\s+'
    if ($groups -notcontains 'kvm') {
        Write-Host 'Adding user libvirt-qemu to group kvm'
        Invoke-LabNativeCommand -FilePath 'usermod' -ArgumentList @('--append', '--groups', 'kvm', 'libvirt-qemu') |
            Out-Null
    }
    $current = (Invoke-LabNativeCommand -FilePath 'stat' -ArgumentList @('--format', '%G %a', $device)).StdOut.Trim()
    if ($current -ne 'kvm 660') {
        Write-Host "Setting group kvm and mode 0660 on $device (was: $current)"
        Invoke-LabNativeCommand -FilePath 'chgrp' -ArgumentList @('kvm', $device) | Out-Null
        Invoke-LabNativeCommand -FilePath 'chmod' -ArgumentList @('0660', $device) | Out-Null
    }
}

function Start-LabLibvirtDaemon {
    # The host set-up runs even when libvirtd already runs, since it also repairs /dev/kvm access.
    Initialize-LabLibvirtHost
    if (Test-LabLibvirtResponse) {
        Write-Verbose "libvirtd already responds on $script:LibvirtUri."
        return
    }

    # Both daemons daemonize themselves with -d and write these pid files. start-stop-daemon starts
    # nothing when the pid file names a running process of the same program.
    $daemons = @(
        @{ Name = 'virtlogd'; PidFile = '/run/virtlogd.pid' }
        @{ Name = 'libvirtd'; PidFile = '/run/libvirtd.pid' }
    )
    $logPath = Join-Path $script:LabLogDirectory 'libvirtd.log'
    foreach ($daemon in $daemons) {
        $executable = Get-LabCommandPath -Name $daemon.Name
        $arguments = @('--start', '--oknodo', '--pidfile', $daemon.PidFile, '--exec', $executable, '--', '-d')
        Write-Host "Starting $($daemon.Name) unless it runs (pid file $($daemon.PidFile))"
        # Without systemd's journal, libvirtd's warnings and errors would go nowhere.
        $environment = @{ LIBVIRT_LOG_OUTPUTS = "3:file:$logPath" }
        Invoke-LabNativeCommand -FilePath 'start-stop-daemon' -ArgumentList $arguments -Environment $environment |
            Out-Null
    }

    Wait-LabCondition -TimeoutSec 60 -Description "libvirtd to respond on $script:LibvirtUri" -Condition {
        Test-LabLibvirtResponse
    } -OnTimeout {
        "Last lines of ${logPath}:`n" + ((Get-Content -LiteralPath $logPath -Tail 20 -ErrorAction Ignore) -join "`n")
    } | Out-Null
}

function Start-HybridLabDaemon {
    <#
    .SYNOPSIS
        Starts dockerd, virtlogd and libvirtd unless they already run, and waits until they respond.

    .DESCRIPTION
        The machine has no systemd, so the daemons run detached in their own sessions and outlive the
        calling pwsh process. dockerd logs to /var/log/hybridnet-lab/dockerd.log and libvirtd to
        /var/log/hybridnet-lab/libvirtd.log. For libvirt, the function first creates
        /var/log/libvirt, /var/run/libvirt and the system user and group libvirt-qemu when missing,
        and gives group kvm, with libvirt-qemu as a member, read and write access to /dev/kvm.
        Without that access libvirt 9.0 probes QEMU again on every call, which makes virsh define
        take about 50 s. A daemon is detected by a response on its socket or by its pid file, and
        nothing is started twice or stopped. Waits up to 60 s each for docker version and
        virsh version to succeed.

    .EXAMPLE
        Start-HybridLabDaemon -Verbose
    #>
    [CmdletBinding()]
    param()

    $ErrorActionPreference = 'Stop'
    Assert-LabRoot
    New-LabDirectory -Path $script:LabLogDirectory | Out-Null
    Start-LabDockerDaemon
    Start-LabLibvirtDaemon
}

#endregion

#region Docker image and containers

function Get-HybridLabImage {
    <#
    .SYNOPSIS
        Returns the lab's busybox Docker image, or nothing when it has not been built.

    .OUTPUTS
        PSCustomObject with Name, Id and Created.

    .EXAMPLE
        Get-HybridLabImage
    #>
    [CmdletBinding()]
    param()

    $ErrorActionPreference = 'Stop'
    $arguments = @('image', 'inspect', '--format', '{{.Id}} {{.Created}}', $script:LabImageName)
    $result = Invoke-LabNativeCommand -FilePath 'docker' -ArgumentList $arguments -NoThrow
    if ($result.ExitCode -ne 0) {
        if ($result.StdErr -match 'No such image') {
            return
        }
        throw "docker image inspect $script:LabImageName failed: $($result.StdErr.Trim())"
    }
    $id, $created = $result.StdOut.Trim() -split ' ', 2
    [pscustomobject]@{
        Name    = $script:LabImageName
        Id      = $id
        Created = $created
    }
}

function New-LabBusyboxRoot {
    # Fills Path with a minimal root file system: static busybox with a link per applet in /bin.
    param([Parameter(Mandatory)][string]$Path)

    $bin = New-LabDirectory -Path (Join-Path $Path 'bin')
    $busybox = Join-Path $bin 'busybox'
    Copy-Item -LiteralPath '/bin/busybox' -Destination $busybox
    Set-LabFileMode -Path $busybox -Mode '755'
    $applets = (Invoke-LabNativeCommand -FilePath $busybox -ArgumentList @('--list')).StdOut -split "`n" |
        Where-Object { $_ -and $_ -ne 'busybox' -and $_ -notmatch '/' }
    foreach ($applet in $applets) {
        [void][System.IO.File]::CreateSymbolicLink((Join-Path $bin $applet), 'busybox')
    }

    foreach ($directory in 'etc', 'root', 'proc', 'sys', 'dev', 'run', 'var', 'var/run') {
        New-LabDirectory -Path (Join-Path $Path $directory) | Out-Null
    }
    $tmp = New-LabDirectory -Path (Join-Path $Path 'tmp')
    Set-LabFileMode -Path $tmp -Mode '1777'
    Write-LabTextFile -Path (Join-Path $Path 'etc/passwd') -Text (
        "root:x:0:0:root:/root:/bin/sh`nnobody:x:65534:65534:nobody:/nonexistent:/bin/false`n")
    Write-LabTextFile -Path (Join-Path $Path 'etc/group') -Text "root:x:0:`nnogroup:x:65534:`n"
}

function New-HybridLabImage {
    <#
    .SYNOPSIS
        Builds the Docker image hybridnet-lab/busybox:1 from the local busybox-static, with no registry.

    .DESCRIPTION
        Packs a root folder with /bin/busybox and a link per busybox applet (sh, ip, ping, sleep, nc,
        httpd, nslookup, udhcpc, cat and the rest) as a tar and imports it with docker import. The
        image runs /bin/sleep infinity by default and carries the label hybridnet.test=1. Returns the
        existing image without building when it is present, unless -Force is set.

    .PARAMETER Force
        Rebuilds and re-tags the image even when it exists.

    .OUTPUTS
        PSCustomObject with Name, Id and Created.

    .EXAMPLE
        New-HybridLabImage
    #>
    [CmdletBinding()]
    param([switch]$Force)

    $ErrorActionPreference = 'Stop'
    $existing = Get-HybridLabImage
    if ($existing -and -not $Force) {
        Write-Verbose "Image $script:LabImageName exists with id $($existing.Id)."
        return $existing
    }
    if (-not (Test-LabStaticExecutable -Path '/bin/busybox')) {
        throw '/bin/busybox is missing or not statically linked. Run Install-HybridLabPrerequisite.'
    }

    New-LabDirectory -Path $script:LabCacheDirectory | Out-Null
    $workDirectory = New-LabTemporaryDirectory
    try {
        $root = New-LabDirectory -Path (Join-Path $workDirectory 'root')
        New-LabBusyboxRoot -Path $root
        $tarPath = Join-Path $workDirectory 'image.tar'
        $tarArguments = @('--numeric-owner', '--owner=0', '--group=0', '-C', $root, '-cf', $tarPath, '.')
        Invoke-LabNativeCommand -FilePath 'tar' -ArgumentList $tarArguments | Out-Null
        $importArguments = @(
            'import',
            '--change', 'CMD ["/bin/sleep","infinity"]',
            '--change', "LABEL $script:LabLabelKey=$script:LabLabelValue",
            $tarPath, $script:LabImageName
        )
        Write-Host "Importing Docker image $script:LabImageName"
        Invoke-LabNativeCommand -FilePath 'docker' -ArgumentList $importArguments | Out-Null
    }
    finally {
        Remove-Item -LiteralPath $workDirectory -Recurse -Force
    }
    Get-HybridLabImage
}

function New-HybridLabContainer {
    <#
    .SYNOPSIS
        Runs a detached container from the lab's busybox image.

    .DESCRIPTION
        Builds the image first when it is missing. The container gets the label hybridnet.test=1,
        the restart policy unless-stopped and its name as host name.

    .PARAMETER Name
        Container name and host name: lower-case letters, digits and hyphens.

    .PARAMETER Network
        Docker network to connect the container to. Docker's default bridge network when omitted.

    .PARAMETER IPAddress
        Fixed IPv4 address on Network, passed to docker run --ip. Needs -Network.

    .OUTPUTS
        PSCustomObject with Name and Id.

    .EXAMPLE
        New-HybridLabContainer -Name hnlab-c1 -Network hnlab-net
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory)][string]$Name,
        [string]$Network,
        [ipaddress]$IPAddress
    )

    $ErrorActionPreference = 'Stop'
    Assert-LabName -Name $Name -Kind 'container'
    if ($IPAddress -and -not $Network) {
        throw "-IPAddress $IPAddress needs -Network, because Docker assigns fixed addresses only on user networks."
    }
    if (-not $PSCmdlet.ShouldProcess($Name, 'docker run')) {
        return
    }
    New-HybridLabImage | Out-Null

    $arguments = @(
        'run', '--detach', '--name', $Name, '--hostname', $Name,
        '--label', "$script:LabLabelKey=$script:LabLabelValue",
        '--restart', 'unless-stopped'
    )
    if ($Network) {
        $arguments += @('--network', $Network)
    }
    if ($IPAddress) {
        $arguments += @('--ip', $IPAddress.IPAddressToString)
    }
    $arguments += $script:LabImageName
    $result = Invoke-LabNativeCommand -FilePath 'docker' -ArgumentList $arguments
    [pscustomobject]@{
        Name = $Name
        Id   = $result.StdOut.Trim()
    }
}

function Remove-HybridLabContainer {
    <#
    .SYNOPSIS
        Removes a lab container, stopping it first.

    .DESCRIPTION
        Does nothing when the container does not exist. Throws for a container without the label
        hybridnet.test=1, so that other containers are never removed. New-HybridLabContainer sets
        the label, and every container of the lab image inherits it.

    .PARAMETER Name
        Container name.

    .EXAMPLE
        Remove-HybridLabContainer -Name hnlab-c1
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param([Parameter(Mandatory, ValueFromPipelineByPropertyName)][string]$Name)

    process {
        $ErrorActionPreference = 'Stop'
        $format = "{{index .Config.Labels `"$script:LabLabelKey`"}}"
        $arguments = @('container', 'inspect', '--format', $format, $Name)
        $inspect = Invoke-LabNativeCommand -FilePath 'docker' -ArgumentList $arguments -NoThrow
        if ($inspect.ExitCode -ne 0) {
            if ($inspect.StdErr -match 'No such container') {
                Write-Verbose "Container $Name does not exist."
                return
            }
            throw "docker container inspect $Name failed: $($inspect.StdErr.Trim())"
        }
        if ($inspect.StdOut.Trim() -ne $script:LabLabelValue) {
            throw ("Container $Name lacks the label $script:LabLabelKey=$script:LabLabelValue, so it is not " +
                'a lab container. Remove it by hand if intended.')
        }
        if ($PSCmdlet.ShouldProcess($Name, 'docker rm --force')) {
            Invoke-LabNativeCommand -FilePath 'docker' -ArgumentList @('rm', '--force', $Name) | Out-Null
        }
    }
}

#endregion

#region Guest assets

function Get-LabKernelModuleInfo {
    # Reads name= and depends= from the .modinfo section of an uncompressed 64-bit kernel module.
    param([Parameter(Mandatory)][string]$Path)

    $bytes = [System.IO.File]::ReadAllBytes($Path)
    if (-not (Test-LabElf64 -Bytes $bytes)) {
        throw "Kernel module $Path is not a 64-bit little-endian ELF file."
    }
    $sectionHeaderOffset = [BitConverter]::ToUInt64($bytes, 0x28)
    $sectionHeaderSize = [BitConverter]::ToUInt16($bytes, 0x3A)
    $sectionCount = [BitConverter]::ToUInt16($bytes, 0x3C)
    $nameTableIndex = [BitConverter]::ToUInt16($bytes, 0x3E)
    $nameTableHeader = [int]($sectionHeaderOffset + $nameTableIndex * $sectionHeaderSize)
    $nameTableOffset = [BitConverter]::ToUInt64($bytes, $nameTableHeader + 0x18)

    $fields = $null
    for ($i = 0; $i -lt $sectionCount; $i++) {
        $header = [int]($sectionHeaderOffset + $i * $sectionHeaderSize)
        $nameStart = [int]($nameTableOffset + [BitConverter]::ToUInt32($bytes, $header))
        $nameEnd = [Array]::IndexOf($bytes, [byte]0, $nameStart)
        $sectionName = [System.Text.Encoding]::ASCII.GetString($bytes, $nameStart, $nameEnd - $nameStart)
        if ($sectionName -eq '.modinfo') {
            $offset = [int][BitConverter]::ToUInt64($bytes, $header + 0x18)
            $size = [int][BitConverter]::ToUInt64($bytes, $header + 0x20)
            $fields = [System.Text.Encoding]::ASCII.GetString($bytes, $offset, $size).Split(
                [char]0, [StringSplitOptions]::RemoveEmptyEntries)
            break
        }
    }
    if ($null -eq $fields) {
        throw "Kernel module $Path has no .modinfo section."
    }

    $name = $null
    $depends = @()
    foreach ($field in $fields) {
        if ($field.StartsWith('name=')) {
            $name = $field.Substring(5)
        }
        elseif ($field.StartsWith('depends=')) {
            $depends = @($field.Substring(8).Split(',', [StringSplitOptions]::RemoveEmptyEntries))
        }
    }
    [pscustomobject]@{
        Name    = $name
        Depends = $depends
    }
}

function Expand-LabKernelModule {
    # Writes the uncompressed module to Destination, because busybox insmod reads only plain .ko files.
    param([Parameter(Mandatory)][string]$Path, [Parameter(Mandatory)][string]$Destination)

    $tool = switch -Regex ($Path) {
        '\.ko$' { $null }
        '\.ko\.xz$' { 'xz' }
        '\.ko\.zst$' { 'zstd' }
        '\.ko\.gz$' { 'gzip' }
        default { throw "Unknown kernel module file type: $Path" }
    }
    if (-not $tool) {
        Copy-Item -LiteralPath $Path -Destination $Destination
        return
    }
    if (-not (Test-LabCommand $tool)) {
        throw "Kernel module $Path is compressed, but $tool is missing. Run Install-HybridLabPrerequisite."
    }
    # Invoke-LabNativeCommand reads standard output as text, which would corrupt a module, so the
    # tool decompresses a copy in place instead of writing to standard output.
    $copy = $Destination + [System.IO.Path]::GetExtension($Path)
    Copy-Item -LiteralPath $Path -Destination $copy
    Invoke-LabNativeCommand -FilePath $tool -ArgumentList @('-d', '-f', '-q', $copy) | Out-Null
    if (-not (Test-Path -LiteralPath $Destination)) {
        throw "$tool -d did not produce $Destination from $Path."
    }
}

function Get-LabModuleLoadOrder {
    # Returns module names so that each follows every module named in its depends= field.
    param(
        [Parameter(Mandatory)][string[]]$RootName,
        [Parameter(Mandatory)][hashtable]$DependsByName
    )
    $order = [System.Collections.Generic.List[string]]::new()
    $state = @{}
    $visit = $null
    $visit = {
        param([string]$Module, [string[]]$Path)
        if ($state[$Module] -eq 'done') {
            return
        }
        if ($state[$Module] -eq 'visiting') {
            throw "Kernel modules depend on each other in a cycle: $(($Path + $Module) -join ' -> ')"
        }
        $state[$Module] = 'visiting'
        foreach ($dependency in $DependsByName[$Module]) {
            & $visit $dependency ($Path + $Module)
        }
        $state[$Module] = 'done'
        $order.Add($Module)
    }
    foreach ($root in $RootName) {
        & $visit $root @()
    }
    , $order.ToArray()
}

function Add-LabGuestModule {
    # Copies the root modules and their dependencies into the initramfs and writes etc/hnlab/modules,
    # the load order for /init. Returns that order.
    param([Parameter(Mandatory)][string]$PackageRoot, [Parameter(Mandatory)][string]$InitramfsRoot)

    $moduleBase = @('lib/modules', 'usr/lib/modules') |
        ForEach-Object { Join-Path $PackageRoot $_ } |
        Where-Object { Test-Path -LiteralPath $_ } |
        Select-Object -First 1
    if (-not $moduleBase) {
        throw "The kernel package has no lib/modules directory under $PackageRoot."
    }
    # Module names use underscores where some file names use hyphens (virtio-rng.ko).
    $toModuleName = { param($FileName) ($FileName -replace '\.ko(\.(xz|zst|gz))?$', '') -replace '-', '_' }
    $fileByName = @{}
    $patterns = @('*.ko', '*.ko.xz', '*.ko.zst', '*.ko.gz')
    foreach ($file in Get-ChildItem -LiteralPath $moduleBase -Recurse -File -Include $patterns) {
        $fileByName[(& $toModuleName $file.Name)] = $file.FullName
    }
    # A kernel build may compile a root module in, and modules.builtin lists those.
    $builtin = [System.Collections.Generic.HashSet[string]]::new()
    foreach ($list in Get-ChildItem -LiteralPath $moduleBase -Recurse -File -Filter 'modules.builtin') {
        foreach ($line in Get-Content -LiteralPath $list.FullName) {
            [void]$builtin.Add((& $toModuleName (Split-Path -Leaf $line)))
        }
    }

    $moduleDirectory = New-LabDirectory -Path (Join-Path $InitramfsRoot 'lib/modules')
    $dependsByName = @{}
    $pending = [System.Collections.Generic.Queue[string]]::new([string[]]$script:GuestModuleRoots)
    while ($pending.Count -gt 0) {
        $name = $pending.Dequeue()
        if ($dependsByName.ContainsKey($name)) {
            continue
        }
        if (-not $fileByName.ContainsKey($name) -and $builtin.Contains($name)) {
            Write-Verbose "Kernel module $name is built into the kernel."
            $dependsByName[$name] = @()
            continue
        }
        if (-not $fileByName.ContainsKey($name)) {
            throw "Kernel module $name is missing from the kernel package, so the guest cannot load it."
        }
        $destination = Join-Path $moduleDirectory "$name.ko"
        Expand-LabKernelModule -Path $fileByName[$name] -Destination $destination
        $info = Get-LabKernelModuleInfo -Path $destination
        $dependsByName[$name] = $info.Depends
        foreach ($dependency in $info.Depends) {
            $pending.Enqueue($dependency)
        }
    }

    $fullOrder = Get-LabModuleLoadOrder -RootName $script:GuestModuleRoots -DependsByName $dependsByName
    $order = [string[]]@($fullOrder | Where-Object { $fileByName.ContainsKey($_) })
    if ($order.Count -eq 0) {
        throw "No loadable kernel module found for $($script:GuestModuleRoots -join ', ') under $moduleBase."
    }
    Write-LabTextFile -Path (Join-Path $InitramfsRoot 'etc/hnlab/modules') -Text (($order -join "`n") + "`n")
    $order
}

function Add-LabGuestAgent {
    # Copies qemu-ga and every library ldd lists for it, the loader included, into the initramfs.
    param([Parameter(Mandatory)][string]$InitramfsRoot)

    $agent = Get-LabCommandPath -Name 'qemu-ga'
    $files = [System.Collections.Generic.List[string]]::new()
    $files.Add($agent)
    $ldd = Invoke-LabNativeCommand -FilePath 'ldd' -ArgumentList @($agent)
    foreach ($line in $ldd.StdOut -split "`n") {
        if ($line -match '=>\s+(/\S+)') {
            $files.Add($Matches[1])
        }
        elseif ($line -match '^\s*(/\S+)\s+\(') {
            $files.Add($Matches[1])
        }
        elseif ($line -match 'not found') {
            throw "ldd cannot resolve a library of ${agent}: $($line.Trim())"
        }
    }
    foreach ($file in $files) {
        $destination = Join-Path $InitramfsRoot $file.TrimStart('/')
        New-LabDirectory -Path (Split-Path -Parent $destination) | Out-Null
        # File.Copy follows symbolic links, so the library itself lands under the name ldd printed.
        [System.IO.File]::Copy($file, $destination, $true)
        Set-LabFileMode -Path $destination -Mode '755'
    }
}

function Get-LabGuestInitScript {
    @'
#!/bin/sh
# /init of the HybridNet lab guest, PID 1. It never exits, because the kernel panics when init ends.
export PATH=/bin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /run/hnlab/resolv /tmp
mount -t devpts devpts /dev/pts

log() {
    echo "hnlab-init: $*"
}

# Prints the value of KEY=VALUE from the kernel command line, and fails when KEY is absent.
cmdline_value() {
    for word in $(cat /proc/cmdline); do
        case "$word" in
            "$1="*) echo "${word#*=}"; return 0 ;;
        esac
    done
    return 1
}

# The host listed the modules in dependency order, read from each module's depends= field.
while read -r module; do
    insmod "/lib/modules/$module.ko" || log "insmod $module failed"
done < /etc/hnlab/modules

host_name=$(cmdline_value hostname) || host_name=hnlab-guest
hostname "$host_name"
ip link set lo up
log "hostname $host_name"

agent_pid=
agent_absent_logged=

start_agent() {
    for port in /sys/class/virtio-ports/*; do
        [ -r "$port/name" ] || continue
        [ "$(cat "$port/name")" = org.qemu.guest_agent.0 ] || continue
        device=/dev/${port##*/}
        qemu-ga -m virtio-serial -p "$device" &
        agent_pid=$!
        log "qemu-ga started on $device with pid $agent_pid"
        return 0
    done
    if [ -z "$agent_absent_logged" ]; then
        log "no org.qemu.guest_agent.0 port yet, qemu-ga not started"
        agent_absent_logged=1
    fi
    return 1
}

configure_interface() {
    interface=$1
    ip link set "$interface" up
    if address=$(cmdline_value "ip.$interface"); then
        ip addr add "$address" dev "$interface" && log "$interface: static address $address"
    else
        # -A 5 retries 5 s after a failed attempt instead of udhcpc's default 20 s.
        udhcpc -b -A 5 -i "$interface" -x "hostname:$host_name" -s /etc/udhcpc/default.script \
            -p "/run/hnlab/udhcpc.$interface.pid" &
        log "$interface: udhcpc started"
    fi
    touch "/run/hnlab/configured.$interface"
}

forget_interface() {
    interface=$1
    pid_file=/run/hnlab/udhcpc.$interface.pid
    [ -f "$pid_file" ] && kill "$(cat "$pid_file")" 2>/dev/null
    rm -f "$pid_file" "/run/hnlab/configured.$interface" "/run/hnlab/resolv/$interface"
    cat /run/hnlab/resolv/* > /etc/resolv.conf 2>/dev/null || : > /etc/resolv.conf
    log "$interface: removed"
}

# Loop forever so that NICs hot-plugged into the running guest are configured as well. The
# foreground sleep also lets the shell reap exited background processes.
while true; do
    if [ -z "$agent_pid" ] || ! kill -0 "$agent_pid" 2>/dev/null; then
        start_agent || agent_pid=
    fi
    for path in /sys/class/net/eth[0-9]*; do
        interface=${path##*/}
        case "$interface" in
            *.*) continue ;;
        esac
        [ -e "$path" ] || continue
        [ -e "/run/hnlab/configured.$interface" ] || configure_interface "$interface"
    done
    for marker in /run/hnlab/configured.*; do
        [ -e "$marker" ] || continue
        interface=${marker#/run/hnlab/configured.}
        [ -e "/sys/class/net/$interface" ] || forget_interface "$interface"
    done
    sleep 1
done
'@
}

function Get-LabGuestDhcpScript {
    @'
#!/bin/sh
# udhcpc runs this with the event in $1 and the lease in $interface, $ip, $mask (prefix length),
# $router, $dns and $domain. Without it udhcpc takes a lease but never sets the address.
resolv_dir=/run/hnlab/resolv

# Every interface's lease keeps its own file, so that one lease does not drop another's servers.
write_resolv_conf() {
    cat "$resolv_dir"/* > /etc/resolv.conf 2>/dev/null || : > /etc/resolv.conf
}

case "$1" in
    deconfig)
        ip -4 addr flush dev "$interface"
        ip link set "$interface" up
        rm -f "$resolv_dir/$interface"
        write_resolv_conf
        ;;
    bound|renew)
        if ! ip -4 addr show dev "$interface" | grep -q "inet $ip/$mask "; then
            ip -4 addr flush dev "$interface"
            ip addr add "$ip/$mask" dev "$interface"
        fi
        # A metric per interface lets leases on several NICs each add a default route.
        metric=$((100 + $(cat "/sys/class/net/$interface/ifindex")))
        while ip route del default dev "$interface" 2>/dev/null; do :; done
        for gateway in $router; do
            ip route add default via "$gateway" dev "$interface" metric "$metric"
            break
        done
        mkdir -p "$resolv_dir"
        {
            [ -n "$domain" ] && echo "search $domain"
            for server in $dns; do
                echo "nameserver $server"
            done
        } > "$resolv_dir/$interface"
        write_resolv_conf
        echo "udhcpc: $interface $1 $ip/$mask router $router dns $dns"
        ;;
    leasefail|nak)
        echo "udhcpc: $interface $1"
        ;;
esac
exit 0
'@
}

function Get-LabFileHash {
    param([Parameter(Mandatory)][string]$Path)
    (Get-FileHash -LiteralPath $Path -Algorithm SHA256).Hash
}

function Get-LabInitramfsKey {
    # Hashes everything the initramfs is made of except the kernel, which the cache folder names.
    # This file's hash covers /init, the DHCP script and the build steps, so any edit of it
    # builds a new initramfs. Old ones stay, because defined domains may still boot from them.
    param([Parameter(Mandatory)][string]$Kernel)
    $agent = Get-LabCommandPath -Name 'qemu-ga'
    $parts = @(
        "kernel=$Kernel"
        "builder=$(Get-LabFileHash -Path $PSCommandPath)"
        "busybox=$(Get-LabFileHash -Path '/bin/busybox')"
        "qemu-ga=$(Get-LabFileHash -Path $agent)"
    )
    $bytes = [System.Text.Encoding]::UTF8.GetBytes($parts -join "`n")
    $hash = [System.Security.Cryptography.SHA256]::HashData($bytes)
    [Convert]::ToHexString($hash).Substring(0, 16).ToLowerInvariant()
}

function Resolve-LabKernelPackage {
    # Returns Name and Version of the image package that linux-image-cloud-amd64 depends on, from
    # apt's package lists, or $null when the lists do not contain it. Each apt-cache call reads all
    # lists and takes about 0.6 s, so the second call runs only when the dependency has no "=" version.
    $arguments = @('show', '--no-all-versions', 'linux-image-cloud-amd64')
    $meta = Invoke-LabNativeCommand -FilePath 'apt-cache' -ArgumentList $arguments -NoThrow
    $pattern = '(?m)^Depends:.*?\b(linux-image-[^\s,]+-cloud-amd64)(?:\s*\(=\s*([^)\s]+)\))?'
    if ($meta.ExitCode -ne 0 -or $meta.StdOut -notmatch $pattern) {
        return $null
    }
    $name = $Matches[1]
    $version = if ($Matches.ContainsKey(2)) { $Matches[2] } else { $null }
    if (-not $version) {
        $showArguments = @('show', '--no-all-versions', $name)
        $show = Invoke-LabNativeCommand -FilePath 'apt-cache' -ArgumentList $showArguments -NoThrow
        if ($show.ExitCode -ne 0 -or $show.StdOut -notmatch '(?m)^Version:\s*(\S+)\s*$') {
            return $null
        }
        $version = $Matches[1]
    }
    [pscustomobject]@{
        Name    = $name
        Version = $version
    }
}

function Get-LabKernelCacheDirectory {
    # Resolves the kernel package from apt's lists, updating them once when needed. Offline, it falls
    # back to the newest kernel already in the cache.
    $guestCache = Join-Path $script:LabCacheDirectory 'guest'
    $package = Resolve-LabKernelPackage
    if (-not $package) {
        Write-Host 'apt lists do not name linux-image-cloud-amd64; running apt-get update'
        $update = Invoke-LabNativeCommand -FilePath 'apt-get' -ArgumentList @('update') -NoThrow `
            -Environment @{ DEBIAN_FRONTEND = 'noninteractive' }
        if ($update.ExitCode -eq 0) {
            $package = Resolve-LabKernelPackage
        }
    }
    if ($package) {
        # apt writes an epoch's colon as %3a in file names too.
        $key = "$($package.Name)_$($package.Version -replace ':', '%3a')"
        return [pscustomobject]@{
            Directory = Join-Path $guestCache $key
            Package   = $package
        }
    }

    $cached = Get-ChildItem -LiteralPath $guestCache -Directory -ErrorAction Ignore |
        Where-Object { Test-Path -LiteralPath (Join-Path $_.FullName 'package.deb') } |
        Sort-Object LastWriteTimeUtc -Descending |
        Select-Object -First 1
    if (-not $cached) {
        throw ('Cannot resolve linux-image-cloud-amd64 from apt and no kernel is cached. ' +
            'Check that apt-get update works.')
    }
    Write-Warning "apt cannot resolve linux-image-cloud-amd64; using the cached kernel $($cached.Name)."
    [pscustomobject]@{
        Directory = $cached.FullName
        Package   = $null
    }
}

function Save-LabKernelPackage {
    # Downloads the kernel package into the cache folder and extracts vmlinuz next to it.
    param([Parameter(Mandatory)][string]$Directory, [Parameter(Mandatory)]$Package)

    New-LabDirectory -Path $Directory | Out-Null
    $workDirectory = New-LabTemporaryDirectory
    try {
        Write-Host "Downloading $($Package.Name) $($Package.Version)"
        # apt's download sandbox user _apt cannot write to this root-owned folder.
        $arguments = @('-o', 'APT::Sandbox::User=root', 'download', "$($Package.Name)=$($Package.Version)")
        Invoke-LabNativeCommand -FilePath 'apt-get' -ArgumentList $arguments -WorkingDirectory $workDirectory |
            Out-Null
        $deb = Get-ChildItem -LiteralPath $workDirectory -Filter '*.deb' | Select-Object -First 1
        if (-not $deb) {
            throw "apt-get download $($Package.Name) produced no .deb file."
        }
        $extracted = Join-Path $workDirectory 'package'
        Invoke-LabNativeCommand -FilePath 'dpkg' -ArgumentList @('-x', $deb.FullName, $extracted) | Out-Null
        $kernel = Get-ChildItem -Path (Join-Path $extracted 'boot') -Filter 'vmlinuz-*' | Select-Object -First 1
        if (-not $kernel) {
            throw "$($Package.Name) contains no boot/vmlinuz-* file."
        }
        Move-Item -LiteralPath $kernel.FullName -Destination (Join-Path $Directory 'vmlinuz') -Force
        Move-Item -LiteralPath $deb.FullName -Destination (Join-Path $Directory 'package.deb') -Force
    }
    finally {
        Remove-Item -LiteralPath $workDirectory -Recurse -Force
    }
}

function New-LabInitramfs {
    # Builds the gzip-compressed newc cpio archive at Path and returns the module load order.
    param([Parameter(Mandatory)][string]$PackagePath, [Parameter(Mandatory)][string]$Path)

    $workDirectory = New-LabTemporaryDirectory
    try {
        $extracted = Join-Path $workDirectory 'package'
        Invoke-LabNativeCommand -FilePath 'dpkg' -ArgumentList @('-x', $PackagePath, $extracted) | Out-Null

        $root = New-LabDirectory -Path (Join-Path $workDirectory 'root')
        New-LabBusyboxRoot -Path $root
        foreach ($directory in 'etc/hnlab', 'etc/udhcpc', 'var/log', 'usr/sbin') {
            New-LabDirectory -Path (Join-Path $root $directory) | Out-Null
        }
        # The kernel opens /dev/console for init's output before /init can mount devtmpfs.
        $nodes = @(@('dev/console', '600', 'c', '5', '1'), @('dev/null', '666', 'c', '1', '3'))
        foreach ($node in $nodes) {
            $arguments = @('-m', $node[1], (Join-Path $root $node[0])) + $node[2..4]
            Invoke-LabNativeCommand -FilePath 'mknod' -ArgumentList $arguments | Out-Null
        }

        $order = Add-LabGuestModule -PackageRoot $extracted -InitramfsRoot $root
        Add-LabGuestAgent -InitramfsRoot $root
        Write-LabTextFile -Path (Join-Path $root 'init') -Text (Get-LabGuestInitScript) -Mode '755'
        $dhcpScriptPath = Join-Path $root 'etc/udhcpc/default.script'
        Write-LabTextFile -Path $dhcpScriptPath -Text (Get-LabGuestDhcpScript) -Mode '755'
        Write-LabTextFile -Path (Join-Path $root 'etc/hosts') -Text "127.0.0.1 localhost`n"

        # Sorting puts each directory before its contents, which the kernel's unpacker needs.
        [string[]]$entries = Get-ChildItem -LiteralPath $root -Recurse -Force -Name
        [Array]::Sort($entries, [StringComparer]::Ordinal)
        $cpioPath = Join-Path $workDirectory 'initrd.cpio'
        $cpioArguments = @('--quiet', '-o', '-H', 'newc', '-R', '0:0', '-F', $cpioPath)
        Invoke-LabNativeCommand -FilePath 'cpio' -ArgumentList $cpioArguments -WorkingDirectory $root `
            -StandardInput (($entries -join "`n") + "`n") | Out-Null
        Invoke-LabNativeCommand -FilePath 'gzip' -ArgumentList @('-9', '-n', $cpioPath) | Out-Null
        Move-Item -LiteralPath "$cpioPath.gz" -Destination $Path -Force
        Set-LabFileMode -Path $Path -Mode '644'
        $order
    }
    finally {
        Remove-Item -LiteralPath $workDirectory -Recurse -Force
    }
}

function New-HybridLabGuestAsset {
    <#
    .SYNOPSIS
        Builds, or takes from the cache, the kernel and initramfs of the tiny lab guest.

    .DESCRIPTION
        The kernel is Debian's cloud kernel: the linux-image-*-cloud-amd64 package that
        linux-image-cloud-amd64 depends on, fetched with apt-get download. The cache folder
        /var/cache/hybridnet-lab/guest/<package>_<version> keeps the package, vmlinuz and the
        initramfs, so a second call downloads and builds nothing.

        The initramfs contains static busybox, the virtio modules (loaded in the order their
        depends= fields require), qemu-ga with its libraries, and an /init that loads the modules,
        sets the host name from the kernel parameter hostname=, starts qemu-ga on the virtio port
        org.qemu.guest_agent.0 when present, and then watches /sys/class/net forever. Every new
        ethN, including NICs hot-plugged later, is brought up and configured by udhcpc, unless the
        kernel parameter ip.<ifname>=a.b.c.d/nn gives a static address. Output goes to the serial
        console. The initramfs file name carries a hash of its inputs (this module file, busybox
        and qemu-ga), so a change to any of them builds a new one next to the old.

    .PARAMETER Force
        Downloads the kernel package and builds the initramfs again even when they are cached.

    .OUTPUTS
        PSCustomObject with KernelPath, InitrdPath, CacheDirectory, KernelPackage, KernelVersion
        and ModuleOrder, the guest's module load order.

    .EXAMPLE
        $asset = New-HybridLabGuestAsset
        $asset.KernelPath
    #>
    [CmdletBinding()]
    param([switch]$Force)

    $ErrorActionPreference = 'Stop'
    Assert-LabRoot
    New-LabDirectory -Path $script:LabCacheDirectory | Out-Null
    $cache = Get-LabKernelCacheDirectory
    $directory = $cache.Directory
    $kernelPath = Join-Path $directory 'vmlinuz'
    $packagePath = Join-Path $directory 'package.deb'

    $kernelCached = (Test-Path -LiteralPath $kernelPath) -and (Test-Path -LiteralPath $packagePath)
    if ($Force -or -not $kernelCached) {
        if (-not $cache.Package) {
            throw "The cached kernel in $directory is incomplete and apt cannot resolve linux-image-cloud-amd64."
        }
        Save-LabKernelPackage -Directory $directory -Package $cache.Package
    }
    Set-LabFileMode -Path $kernelPath -Mode '644'

    $directoryName = Split-Path -Leaf $directory
    $initrdPath = Join-Path $directory "initrd-$(Get-LabInitramfsKey -Kernel $directoryName).img"
    $moduleOrderPath = [System.IO.Path]::ChangeExtension($initrdPath, '.modules')
    $initrdCached = (Test-Path -LiteralPath $initrdPath) -and (Test-Path -LiteralPath $moduleOrderPath)
    if ($Force -or -not $initrdCached) {
        Write-Host "Building guest initramfs $initrdPath"
        $order = New-LabInitramfs -PackagePath $packagePath -Path $initrdPath
        Write-LabTextFile -Path $moduleOrderPath -Text (($order -join "`n") + "`n")
    }
    $moduleOrder = [string[]](Get-Content -LiteralPath $moduleOrderPath)

    $packageName, $packageVersion = $directoryName -split '_', 2
    [pscustomobject]@{
        KernelPath     = $kernelPath
        InitrdPath     = $initrdPath
        CacheDirectory = $directory
        KernelPackage  = $packageName
        KernelVersion  = $packageVersion -replace '%3a', ':'
        ModuleOrder    = $moduleOrder
    }
}

#endregion

#region Virtual machines

function Test-LabDomainExist {
    param([Parameter(Mandatory)][string]$Name)
    $names = (Invoke-LabVirsh -ArgumentList @('list', '--all', '--name')).StdOut -split "`n" |
        ForEach-Object { $_.Trim() }
    $names -contains $Name
}

function Test-LabDomainMarked {
    param([Parameter(Mandatory)][string]$Name)
    $arguments = @('metadata', '--domain', $Name, '--uri', $script:LabMetadataUri)
    (Invoke-LabVirsh -ArgumentList $arguments -NoThrow).ExitCode -eq 0
}

function New-LabDomainXml {
    param(
        [Parameter(Mandatory)][string]$Name,
        [Parameter(Mandatory)]$Asset,
        [Parameter(Mandatory)][int]$MemoryMB,
        [Parameter(Mandatory)][string]$ConsoleLogPath,
        [string]$Network,
        [string[]]$KernelArgument,
        [switch]$NoGuestAgent,
        [switch]$NoAcpi
    )
    $escape = { param($Text) [System.Security.SecurityElement]::Escape($Text) }
    # Without ACPI the i440fx PCI bus refuses hot-plug, which tests of that failure need.
    $features = if ($NoAcpi) { '' } else { '    <acpi/>' }
    $cmdline = (@('console=ttyS0', "hostname=$Name") + $KernelArgument) -join ' '
    $agentChannel = if ($NoGuestAgent) { '' } else {
        @"
    <channel type='unix'>
      <target type='virtio' name='$script:GuestAgentPortName'/>
    </channel>
"@
    }
    $interface = if (-not $Network) { '' } else {
        @"
    <interface type='network'>
      <source network='$(& $escape $Network)'/>
      <model type='virtio'/>
    </interface>
"@
    }
    # Type qemu is software emulation, because KVM guests hang early in boot under nested
    # virtualisation. NIC hot-plug needs ACPI on the i440fx machine ('pc') and ACPI PCI hotplug in
    # the guest kernel, which Debian's cloud kernel 6.1 builds in (CONFIG_HOTPLUG_PCI_ACPI=y).
    @"
<domain type='qemu'>
  <name>$Name</name>
  <description>HybridNet lab VM created by HybridLab.psm1</description>
  <metadata>
    <hnlab:lab xmlns:hnlab='$script:LabMetadataUri'>
      <hnlab:createdBy>HybridLab.psm1</hnlab:createdBy>
    </hnlab:lab>
  </metadata>
  <memory unit='MiB'>$MemoryMB</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$(& $escape $Asset.KernelPath)</kernel>
    <initrd>$(& $escape $Asset.InitrdPath)</initrd>
    <cmdline>$(& $escape $cmdline)</cmdline>
  </os>
  <features>
$features
  </features>
  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <serial type='file'>
      <source path='$(& $escape $ConsoleLogPath)'/>
      <target port='0'/>
    </serial>
    <console type='file'>
      <source path='$(& $escape $ConsoleLogPath)'/>
      <target type='serial' port='0'/>
    </console>
$agentChannel$interface    <controller type='usb' model='none'/>
    <memballoon model='none'/>
  </devices>
</domain>
"@
}

function New-HybridLabVM {
    <#
    .SYNOPSIS
        Defines a lab guest as a libvirt domain on qemu:///system, and optionally starts it.

    .DESCRIPTION
        The domain has type qemu (software emulation) and boots the kernel and initramfs of
        New-HybridLabGuestAsset directly, with the kernel command line
        "console=ttyS0 hostname=<Name>" followed by -KernelArgument. The serial console is written
        to /var/log/hybridnet-lab/<Name>.console.log. The domain's metadata carries the element
        lab in the namespace urn:hybridnet:lab:1, which Remove-HybridLabVM checks before it removes
        anything. ACPI is enabled, so NICs can be hot-plugged into the running guest.

    .PARAMETER Name
        Domain name and guest host name: lower-case letters, digits and hyphens.

    .PARAMETER Network
        libvirt network for one virtio NIC (eth0 in the guest). No NIC when omitted.

    .PARAMETER NoAcpi
        Leaves ACPI out of the domain, so the PCI bus refuses NIC hot-plug.

    .PARAMETER NoGuestAgent
        Leaves out the virtio channel org.qemu.guest_agent.0, so qemu-ga does not start.

    .PARAMETER Start
        Starts the domain after defining it.

    .PARAMETER MemoryMB
        Guest memory in MiB.

    .PARAMETER KernelArgument
        Extra kernel parameters, for example 'ip.eth0=10.251.1.200/24' for a static address.

    .OUTPUTS
        PSCustomObject with Name, ConsoleLogPath, KernelPath and InitrdPath.

    .EXAMPLE
        New-HybridLabVM -Name hnlab-vm1 -Network hnlab-net -Start
        Wait-HybridLabGuestAgent -Name hnlab-vm1
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param(
        [Parameter(Mandatory)][string]$Name,
        [string]$Network,
        [switch]$NoGuestAgent,
        [switch]$NoAcpi,
        [switch]$Start,
        [ValidateRange(64, 65536)][int]$MemoryMB = 192,
        [string[]]$KernelArgument = @()
    )

    $ErrorActionPreference = 'Stop'
    Assert-LabName -Name $Name -Kind 'domain'
    foreach ($argument in $KernelArgument) {
        if ($argument -match '\s' -or -not $argument) {
            throw "Invalid kernel argument '$argument': each must be one non-empty word without spaces."
        }
    }
    if (Test-LabDomainExist -Name $Name) {
        throw "Domain $Name already exists. Remove it with Remove-HybridLabVM -Name $Name first."
    }
    if (-not $PSCmdlet.ShouldProcess($Name, 'virsh define')) {
        return
    }

    $asset = New-HybridLabGuestAsset
    New-LabDirectory -Path $script:LabLogDirectory | Out-Null
    $consoleLogPath = Join-Path $script:LabLogDirectory "$Name.console.log"
    $xmlParameters = @{
        Name           = $Name
        Asset          = $asset
        MemoryMB       = $MemoryMB
        ConsoleLogPath = $consoleLogPath
        Network        = $Network
        KernelArgument = $KernelArgument
        NoGuestAgent   = $NoGuestAgent
        NoAcpi         = $NoAcpi
    }
    $xml = New-LabDomainXml @xmlParameters
    $xmlPath = Join-Path ([System.IO.Path]::GetTempPath()) "hnlab-domain-$([guid]::NewGuid().ToString('N')).xml"
    try {
        Write-LabTextFile -Path $xmlPath -Text $xml -Mode '600'
        Invoke-LabVirsh -ArgumentList @('define', '--file', $xmlPath) | Out-Null
    }
    finally {
        Remove-Item -LiteralPath $xmlPath -Force -ErrorAction Ignore
    }
    if ($Start) {
        try {
            Invoke-LabVirsh -ArgumentList @('start', '--domain', $Name) | Out-Null
        }
        catch {
            # A domain that never started is of no use to the caller, so the call leaves nothing behind.
            Invoke-LabVirsh -ArgumentList @('undefine', '--domain', $Name) -NoThrow | Out-Null
            throw
        }
    }
    [pscustomobject]@{
        Name           = $Name
        ConsoleLogPath = $consoleLogPath
        KernelPath     = $asset.KernelPath
        InitrdPath     = $asset.InitrdPath
    }
}

function Remove-HybridLabVM {
    <#
    .SYNOPSIS
        Stops and undefines a lab domain.

    .DESCRIPTION
        Does nothing when the domain does not exist. Throws for a domain without the lab metadata
        of New-HybridLabVM, so that domains the lab did not create are never removed. The console
        log in /var/log/hybridnet-lab is kept.

    .PARAMETER Name
        Domain name.

    .EXAMPLE
        Remove-HybridLabVM -Name hnlab-vm1
    #>
    [CmdletBinding(SupportsShouldProcess)]
    param([Parameter(Mandatory, ValueFromPipelineByPropertyName)][string]$Name)

    process {
        $ErrorActionPreference = 'Stop'
        if (-not (Test-LabDomainExist -Name $Name)) {
            Write-Verbose "Domain $Name does not exist."
            return
        }
        if (-not (Test-LabDomainMarked -Name $Name)) {
            throw ("Domain $Name lacks the lab metadata $script:LabMetadataUri, so it is not a lab VM. " +
                'Remove it by hand if intended.')
        }
        if (-not $PSCmdlet.ShouldProcess($Name, 'virsh destroy and undefine')) {
            return
        }
        $state = (Invoke-LabVirsh -ArgumentList @('domstate', '--domain', $Name)).StdOut.Trim()
        if ($state -ne 'shut off') {
            Invoke-LabVirsh -ArgumentList @('destroy', '--domain', $Name) | Out-Null
        }
        Invoke-LabVirsh -ArgumentList @('undefine', '--domain', $Name) | Out-Null
    }
}

function Wait-HybridLabGuestAgent {
    <#
    .SYNOPSIS
        Waits until the guest agent of a running lab domain responds to guest-ping.

    .PARAMETER Name
        Domain name.

    .PARAMETER TimeoutSec
        Maximum wait in seconds. On timeout the error includes the end of the serial console log.

    .OUTPUTS
        PSCustomObject with Name and ElapsedSeconds.

    .EXAMPLE
        Wait-HybridLabGuestAgent -Name hnlab-vm1 -TimeoutSec 90
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)][string]$Name,
        [int]$TimeoutSec = 120
    )

    $ErrorActionPreference = 'Stop'
    $stopwatch = [System.Diagnostics.Stopwatch]::StartNew()
    $description = "the guest agent of $Name to respond to guest-ping"
    Wait-LabCondition -TimeoutSec $TimeoutSec -Description $description -Condition {
        # guest-ping returns an empty object, and $null means that the command failed.
        $null -ne (Invoke-LabGuestAgent -Name $Name -Execute 'guest-ping' -TimeoutSec 5 -NoThrow)
    } -OnTimeout { Get-LabConsoleTail -Name $Name } | Out-Null
    [pscustomobject]@{
        Name           = $Name
        ElapsedSeconds = [math]::Round($stopwatch.Elapsed.TotalSeconds, 1)
    }
}

function Invoke-HybridLabGuestCommand {
    <#
    .SYNOPSIS
        Runs a program inside a lab guest through the guest agent and returns its exit code and output.

    .DESCRIPTION
        Sends guest-exec with capture-output and polls guest-exec-status until the program exits.
        The program runs without a shell, so -Path is the program and -ArgumentList its arguments.

    .PARAMETER Name
        Domain name.

    .PARAMETER Path
        Program path in the guest, for example /bin/ping.

    .PARAMETER ArgumentList
        Arguments passed to the program unchanged.

    .PARAMETER TimeoutSec
        Maximum time in seconds for the program to exit. The program keeps running in the guest
        after a timeout, because qemu-ga 7.2 has no command to stop it.

    .OUTPUTS
        PSCustomObject with ExitCode, Signal (set when a signal ended the program), StdOut and StdErr.

    .EXAMPLE
        Invoke-HybridLabGuestCommand -Name hnlab-vm1 -Path /bin/ping -ArgumentList '-c', '1', '10.251.1.1'
    #>
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)][string]$Name,
        [Parameter(Mandatory)][string]$Path,
        [string[]]$ArgumentList = @(),
        [int]$TimeoutSec = 60
    )

    $ErrorActionPreference = 'Stop'
    $execArguments = @{
        'path'           = $Path
        'arg'            = [string[]]$ArgumentList
        'capture-output' = $true
    }
    $started = Invoke-LabGuestAgent -Name $Name -Execute 'guest-exec' -Arguments $execArguments
    $processId = $started.pid

    $status = Wait-LabCondition -TimeoutSec $TimeoutSec -IntervalMilliseconds 200 `
        -Description "$Path (guest pid $processId) to exit in $Name" -Condition {
        $current = Invoke-LabGuestAgent -Name $Name -Execute 'guest-exec-status' -Arguments @{ pid = $processId }
        if ($current.exited) { $current } else { $null }
    }

    $decode = {
        param($Base64)
        if ($Base64) { [System.Text.Encoding]::UTF8.GetString([Convert]::FromBase64String($Base64)) } else { '' }
    }
    [pscustomobject]@{
        ExitCode = Get-LabJsonValue -Object $status -Name 'exitcode'
        Signal   = Get-LabJsonValue -Object $status -Name 'signal'
        StdOut   = & $decode (Get-LabJsonValue -Object $status -Name 'out-data')
        StdErr   = & $decode (Get-LabJsonValue -Object $status -Name 'err-data')
    }
}

function Get-HybridLabGuestAddress {
    <#
    .SYNOPSIS
        Waits until a guest interface has an IPv4 address, as the guest agent reports it, and returns it.

    .PARAMETER Name
        Domain name.

    .PARAMETER InterfaceName
        Interface name in the guest, for example eth0 or a hot-plugged eth1.

    .PARAMETER TimeoutSec
        Maximum wait in seconds, including the wait for the guest agent to respond. On timeout the
        error includes the end of the serial console log.

    .OUTPUTS
        System.String. The first IPv4 address of the interface, without prefix length.

    .EXAMPLE
        Get-HybridLabGuestAddress -Name hnlab-vm1 -InterfaceName eth1 -TimeoutSec 60
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param(
        [Parameter(Mandatory)][string]$Name,
        [string]$InterfaceName = 'eth0',
        [int]$TimeoutSec = 60
    )

    $ErrorActionPreference = 'Stop'
    Wait-LabCondition -TimeoutSec $TimeoutSec -Description "an IPv4 address on $InterfaceName in $Name" -Condition {
        $interfaces = Invoke-LabGuestAgent -Name $Name -Execute 'guest-network-get-interfaces' -TimeoutSec 5 -NoThrow
        $interface = @($interfaces) | Where-Object { $_ -and $_.name -eq $InterfaceName } | Select-Object -First 1
        $addresses = @(Get-LabJsonValue -Object $interface -Name 'ip-addresses')
        $ipv4 = $addresses | Where-Object { $_ -and $_.'ip-address-type' -eq 'ipv4' } | Select-Object -First 1
        if ($ipv4) {
            [string]$ipv4.'ip-address'
        }
    } -OnTimeout { Get-LabConsoleTail -Name $Name }
}

#endregion

Export-ModuleMember -Function @(
    'Install-HybridLabPrerequisite'
    'Start-HybridLabDaemon'
    'Get-HybridLabImage'
    'New-HybridLabImage'
    'New-HybridLabContainer'
    'Remove-HybridLabContainer'
    'New-HybridLabGuestAsset'
    'New-HybridLabVM'
    'Remove-HybridLabVM'
    'Wait-HybridLabGuestAgent'
    'Invoke-HybridLabGuestCommand'
    'Get-HybridLabGuestAddress'
)
