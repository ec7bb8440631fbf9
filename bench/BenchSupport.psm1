<#
.SYNOPSIS
    Helpers of the HybridNet benchmarks: resource names, the machine description, statistics,
    a raw Docker Engine API client, fresh pwsh processes and the cleanup of benchmark resources.

.DESCRIPTION
    Every resource a benchmark run creates is named "hnb" followed by a four-digit hex run id
    (bridges then fit the 15-byte limit of Linux interface names), and its subnets come from
    10.254.0.0/16. Cleanup functions touch nothing whose name does not match that pattern.
#>
Set-StrictMode -Version Latest

$script:LibvirtUri = 'qemu:///system'
$script:ResourcePattern = '^hnb[0-9a-f]{4}'
$script:BenchLabel = 'hybridnet.bench=1'
$script:LabImage = 'hybridnet-lab/busybox:1'

function New-BenchRunId {
    $bytes = [byte[]]::new(2)
    [System.Security.Cryptography.RandomNumberGenerator]::Fill($bytes)
    return 'hnb' + [Convert]::ToHexString($bytes).ToLowerInvariant()
}

function Test-BenchResourceName {
    param([string] $Name)

    return $Name -match $script:ResourcePattern
}

<#
.SYNOPSIS
    Returns the median of numbers. For an even count it is the mean of the two middle values.
#>
function Get-BenchMedian {
    param([double[]] $Values)

    if ($Values.Count -eq 0) {
        return $null
    }

    $sorted = [double[]]($Values | Sort-Object)
    $middle = [math]::Floor($sorted.Count / 2)
    if ($sorted.Count % 2 -eq 1) {
        return $sorted[$middle]
    }

    return ($sorted[$middle - 1] + $sorted[$middle]) / 2
}

<#
.SYNOPSIS
    Returns the mean of numbers after dropping the lowest and the highest tenth of them.
#>
function Get-BenchTrimmedMean {
    param([double[]] $Values)

    if ($Values.Count -eq 0) {
        return $null
    }

    $sorted = [double[]]($Values | Sort-Object)
    $cut = [math]::Floor($sorted.Count / 10)
    $kept = $sorted[$cut..($sorted.Count - 1 - $cut)]
    return ($kept | Measure-Object -Average).Average
}

<#
.SYNOPSIS
    Formats a number with a fixed count of decimals and invariant culture, or "n/a" for null.
#>
function Format-BenchNumber {
    param($Value, [int] $Decimals = 2)

    if ($null -eq $Value) {
        return 'n/a'
    }

    return ([double]$Value).ToString("F$Decimals", [cultureinfo]::InvariantCulture)
}

function Invoke-BenchNative {
    # Runs a program and returns its standard output as one string. Throws on a non-zero exit code.
    param([Parameter(Mandatory)][string] $FilePath, [string[]] $ArgumentList = @())

    $output = & $FilePath @ArgumentList 2>&1
    if ($LASTEXITCODE -ne 0) {
        throw "'$FilePath $($ArgumentList -join ' ')' failed with exit code ${LASTEXITCODE}: $($output -join ' ')"
    }

    return ($output | ForEach-Object { "$_" }) -join "`n"
}

<#
.SYNOPSIS
    Describes the machine: CPU model, cores, memory, kernel, Docker, libvirt, QEMU, PowerShell
    and .NET versions, and the date.
#>
function Get-BenchMachine {
    $cpuInfo = Get-Content -Raw /proc/cpuinfo
    $cpuModel = if ($cpuInfo -match 'model name\s*:\s*(.+)') { $Matches[1].Trim() } else { 'unknown' }
    $memInfo = Get-Content -Raw /proc/meminfo
    $memoryKiB = if ($memInfo -match 'MemTotal:\s*(\d+)') { [long]$Matches[1] } else { 0 }
    $virshVersion = Invoke-BenchNative virsh @('-c', $script:LibvirtUri, 'version')
    $libvirt = if ($virshVersion -match 'Using library: libvirt ([\d.]+)') { $Matches[1] } else { 'unknown' }
    $qemu = if ($virshVersion -match 'Running hypervisor: QEMU ([\d.]+)') { $Matches[1] } else { 'unknown' }
    $kvm = if (Test-Path /dev/kvm) { 'lab guests use software emulation (domain type qemu) although /dev/kvm exists' } else { 'lab guests use software emulation, no /dev/kvm' }

    [ordered]@{
        'Date (UTC)'     = [datetime]::UtcNow.ToString('yyyy-MM-dd HH:mm', [cultureinfo]::InvariantCulture)
        'CPU model'      = $cpuModel
        'Logical cores'  = [Environment]::ProcessorCount
        'Memory'         = '{0:F1} GiB' -f ($memoryKiB / 1MB)
        'Kernel'         = (Invoke-BenchNative uname @('-r')).Trim()
        'Docker Engine'  = (Invoke-BenchNative docker @('version', '--format', '{{.Server.Version}}')).Trim()
        'libvirt'        = $libvirt
        'QEMU'           = "$qemu, $kvm"
        'PowerShell'     = $PSVersionTable.PSVersion.ToString()
        '.NET runtime'   = [System.Runtime.InteropServices.RuntimeInformation]::FrameworkDescription
    }
}

<#
.SYNOPSIS
    Reads the load average, the machine's CPU time counters (/proc/stat) and the CPU time of
    this process and the children it waited for, so the report can say how busy the machine was.
#>
function Get-BenchCpuCounters {
    $fields = ((Get-Content /proc/stat -TotalCount 1) -split '\s+')[1..8] | ForEach-Object { [long]$_ }
    # user nice system idle iowait irq softirq steal, in clock ticks (USER_HZ, 100 on Linux).
    $idle = $fields[3] + $fields[4]
    $busy = $fields[0] + $fields[1] + $fields[2] + $fields[5] + $fields[6] + $fields[7]
    # Fields 14 to 17 of /proc/self/stat: utime, stime, cutime, cstime. The name in field 2 may
    # contain spaces, so the fields are counted from the closing parenthesis.
    $self = (Get-Content -Raw /proc/self/stat)
    $own = ($self.Substring($self.LastIndexOf(')') + 2) -split ' ')[11..14] | ForEach-Object { [long]$_ } | Measure-Object -Sum
    [pscustomobject]@{
        LoadAverage = ((Get-Content -Raw /proc/loadavg) -split ' ')[0..2] -join ' '
        BusyTicks   = $busy
        IdleTicks   = $idle
        OwnTicks    = [long]$own.Sum
    }
}

<#
.SYNOPSIS
    Starts a thread job that lists, every -IntervalSeconds, the running containers and domains
    that are not this benchmark's, so the report can say whether others' work ran meanwhile.
#>
function Start-BenchForeignSampler {
    param([int] $IntervalSeconds = 5)

    Start-ThreadJob -ArgumentList $script:ResourcePattern, $script:LibvirtUri, $IntervalSeconds -ScriptBlock {
        param($Pattern, $Uri, $Interval)

        while ($true) {
            $containers = @(& docker ps --format '{{.Names}}' 2>$null | Where-Object { $_ -and $_ -notmatch $Pattern })
            $domains = @(& virsh -q -c $Uri list --name 2>$null | Where-Object { $_ -and $_ -notmatch $Pattern })
            [pscustomobject]@{ Containers = $containers; Domains = $domains }
            Start-Sleep -Seconds $Interval
        }
    }
}

<#
.SYNOPSIS
    Stops the sampler and summarizes its samples: how many there were, how many saw others'
    containers or domains, and the largest counts seen.
#>
function Stop-BenchForeignSampler {
    param([Parameter(Mandatory)] $Job)

    $samples = @(Receive-Job -Job $Job)
    Stop-Job -Job $Job
    Remove-Job -Job $Job -Force
    $busy = @($samples | Where-Object { $_.Containers.Count + $_.Domains.Count -gt 0 })
    [pscustomobject]@{
        Samples           = $samples.Count
        SamplesWithOthers = $busy.Count
        MaxContainers     = ($samples | ForEach-Object { $_.Containers.Count } | Measure-Object -Maximum).Maximum
        MaxDomains        = ($samples | ForEach-Object { $_.Domains.Count } | Measure-Object -Maximum).Maximum
        DistinctOthers    = @($samples | ForEach-Object { $_.Containers; $_.Domains } | Sort-Object -Unique).Count
    }
}

<#
.SYNOPSIS
    Identifies the running dockerd and libvirtd by process id and start time, so a restart by
    another process during a benchmark can be detected. A daemon that is not running is "none".
#>
function Get-BenchDaemonIdentity {
    $identities = foreach ($name in 'dockerd', 'libvirtd') {
        $processes = @(Get-Process -Name $name -ErrorAction Ignore | Sort-Object Id)
        $text = if ($processes.Count -eq 0) { 'none' } else { ($processes | ForEach-Object { "$($_.Id)@$($_.StartTime.ToString('o'))" }) -join ',' }
        "${name}=$text"
    }

    return $identities -join ' '
}

<#
.SYNOPSIS
    Creates an HttpClient that sends requests to the Docker Engine API over its unix socket,
    through a SocketsHttpHandler whose ConnectCallback opens a UnixDomainSocketEndPoint.
#>
function New-BenchDockerClient {
    param([string] $SocketPath = '/var/run/docker.sock')

    if (-not ('HybridNetBench.DockerSocket' -as [type])) {
        Add-Type -TypeDefinition @'
using System;
using System.Net.Http;
using System.Net.Sockets;

namespace HybridNetBench
{
    public static class DockerSocket
    {
        public static HttpClient Create(string socketPath)
        {
            var handler = new SocketsHttpHandler
            {
                ConnectCallback = async (context, cancellationToken) =>
                {
                    var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                    try
                    {
                        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken).ConfigureAwait(false);
                        return new NetworkStream(socket, ownsSocket: true);
                    }
                    catch
                    {
                        socket.Dispose();
                        throw;
                    }
                },
            };
            return new HttpClient(handler) { BaseAddress = new Uri("http://docker/") };
        }
    }
}
'@
    }

    $client = [HybridNetBench.DockerSocket]::Create($SocketPath)
    $ping = $client.GetAsync('_ping').GetAwaiter().GetResult()
    if (-not $ping.IsSuccessStatusCode) {
        throw "GET /_ping on $SocketPath returned HTTP $([int]$ping.StatusCode)."
    }

    return $client
}

<#
.SYNOPSIS
    Sends POST /networks/{id}/<action> with a container to the Docker Engine API and throws
    unless the daemon returns a success status.
#>
function Invoke-BenchDockerNetworkCall {
    param(
        [Parameter(Mandatory)] $Client,
        [Parameter(Mandatory)][ValidateSet('connect', 'disconnect')][string] $Action,
        [Parameter(Mandatory)][string] $NetworkId,
        [Parameter(Mandatory)][string] $Container
    )

    $body = if ($Action -eq 'connect') { '{"Container":"' + $Container + '"}' } else { '{"Container":"' + $Container + '","Force":true}' }
    $content = [System.Net.Http.StringContent]::new($body, [System.Text.Encoding]::UTF8, 'application/json')
    $response = $Client.PostAsync("networks/$NetworkId/$Action", $content).GetAwaiter().GetResult()
    if (-not $response.IsSuccessStatusCode) {
        $text = $response.Content.ReadAsStringAsync().GetAwaiter().GetResult()
        throw "POST /networks/$NetworkId/$Action for $Container returned HTTP $([int]$response.StatusCode): $text"
    }
}

<#
.SYNOPSIS
    Connects containers to a network through the Docker Engine API with several requests in
    flight: the containers go in batches of -InFlight, and each batch is awaited as a whole.
#>
function Invoke-BenchDockerConnectBatches {
    param(
        [Parameter(Mandatory)] $Client,
        [Parameter(Mandatory)][string] $NetworkId,
        [Parameter(Mandatory)][string[]] $Containers,
        [ValidateRange(1, 64)][int] $InFlight = 8
    )

    for ($first = 0; $first -lt $Containers.Count; $first += $InFlight) {
        $last = [math]::Min($first + $InFlight, $Containers.Count) - 1
        $batch = @($Containers[$first..$last])
        $requests = foreach ($name in $batch) {
            $content = [System.Net.Http.StringContent]::new('{"Container":"' + $name + '"}', [System.Text.Encoding]::UTF8, 'application/json')
            $Client.PostAsync("networks/$NetworkId/connect", $content)
        }

        [System.Threading.Tasks.Task]::WaitAll([System.Threading.Tasks.Task[]]@($requests))
        for ($i = 0; $i -lt $batch.Count; $i++) {
            $response = @($requests)[$i].Result
            if (-not $response.IsSuccessStatusCode) {
                throw "POST /networks/$NetworkId/connect for $($batch[$i]) returned HTTP $([int]$response.StatusCode)."
            }
        }
    }
}

<#
.SYNOPSIS
    Runs a script in a new pwsh process and returns its output lines. Under `dotnet pwsh` the
    first command-line argument is pwsh.dll, which dotnet has to start.
#>
function Invoke-BenchFreshPwsh {
    param([Parameter(Mandatory)][string] $File, [string[]] $Arguments = @())

    $pwsh = [System.Environment]::GetCommandLineArgs()[0]
    $output = if ($pwsh -like '*.dll') {
        & dotnet $pwsh -NoProfile -NonInteractive -File $File @Arguments 2>&1
    }
    else {
        & $pwsh -NoProfile -NonInteractive -File $File @Arguments 2>&1
    }

    if ($LASTEXITCODE -ne 0) {
        throw "pwsh -File $File exited with $LASTEXITCODE`n$($output -join "`n")"
    }

    return @($output | ForEach-Object { "$_" })
}

<#
.SYNOPSIS
    Reads the last line of a child process's output that parses as JSON.
#>
function Get-BenchJsonResult {
    param([string[]] $Lines)

    for ($i = $Lines.Count - 1; $i -ge 0; $i--) {
        if ($Lines[$i].StartsWith('{')) {
            return $Lines[$i] | ConvertFrom-Json
        }
    }

    throw "The child process wrote no JSON result:`n$($Lines -join "`n")"
}

<#
.SYNOPSIS
    Starts a detached container from the lab image with the benchmark label and returns its name.
#>
function New-BenchContainer {
    param([Parameter(Mandatory)][string] $Name, [Parameter(Mandatory)][string] $Network)

    # The restart policy brings the container back when another process restarts dockerd.
    $arguments = @('run', '-d', '--name', $Name, '--hostname', $Name, '--label', $script:BenchLabel,
        '--restart', 'unless-stopped', '--network', $Network, $script:LabImage)
    Invoke-BenchNative docker $arguments | Out-Null
    return $Name
}

<#
.SYNOPSIS
    Waits until dockerd and libvirtd respond, because another process may be restarting them.
    Returns $false when they do not respond within -TimeoutSec. Starts and restarts nothing.
#>
function Wait-BenchDaemons {
    param([int] $TimeoutSec = 180)

    $deadline = [datetime]::UtcNow.AddSeconds($TimeoutSec)
    while ($true) {
        & docker version --format '{{.Server.Version}}' *> $null
        $dockerResponds = $LASTEXITCODE -eq 0
        & virsh -q -c $script:LibvirtUri version *> $null
        $libvirtResponds = $LASTEXITCODE -eq 0
        if ($dockerResponds -and $libvirtResponds) {
            return $true
        }

        if ([datetime]::UtcNow -gt $deadline) {
            return $false
        }

        Start-Sleep -Seconds 2
    }
}

<#
.SYNOPSIS
    Removes every benchmark resource whose name starts with the run id, or, without -RunId,
    every one left by any earlier run: containers, lab domains, hybrid bridges, plain Docker
    networks, the guests' console logs and HybridNet's lock files of the bridges. Each removal
    runs even when an earlier one failed, and the function returns a line per failure.
#>
function Remove-BenchResources {
    param([string] $RunId)

    $problems = [System.Collections.Generic.List[string]]::new()
    if (-not (Wait-BenchDaemons)) {
        $problems.Add('dockerd or libvirtd did not respond within 180 s')
    }

    $pattern = if ($RunId) { '^' + [regex]::Escape($RunId) } else { $script:ResourcePattern }
    $attempt = {
        param([string] $What, [scriptblock] $Action)

        try {
            & $Action
        }
        catch {
            $problems.Add("${What}: $($_.Exception.Message)")
        }
    }

    & $attempt 'containers' {
        $containers = @(& docker ps -a --format '{{.Names}}' | Where-Object { $_ -match $pattern })
        if ($containers.Count -gt 0) {
            Invoke-BenchNative docker (@('rm', '-f') + $containers) | Out-Null
        }
    }

    foreach ($domain in @(& virsh -q -c $script:LibvirtUri list --all --name | Where-Object { $_ -match $pattern })) {
        & $attempt "domain $domain" {
            Remove-HybridLabVM -Name $domain -Confirm:$false
            Remove-Item -LiteralPath "/var/log/hybridnet-lab/$domain.console.log" -Force -ErrorAction Ignore
        }
    }

    foreach ($bridge in @(Get-HybridBridge -ErrorAction SilentlyContinue | Where-Object { $_.Name -match $pattern })) {
        & $attempt "bridge $($bridge.Name)" {
            $bridge | Remove-HybridBridge -Force -Confirm:$false -ErrorAction Stop
        }
    }

    foreach ($network in @(& docker network ls --format '{{.Name}}' | Where-Object { $_ -match $pattern })) {
        & $attempt "network $network" {
            Invoke-BenchNative docker @('network', 'rm', $network) | Out-Null
        }
    }

    # HybridNet keeps one lock file per bridge name (StateLock.Directory) after the bridge is gone.
    & $attempt 'lock files' {
        Get-ChildItem -Path '/run/hybridnet/locks' -Filter '*.lock' -ErrorAction Ignore |
            Where-Object { $_.BaseName -match $pattern } |
            Remove-Item -Force
    }

    return $problems.ToArray()
}

Export-ModuleMember -Function *
