#Requires -Version 7.4
<#
.SYNOPSIS
    Runs the HybridNet benchmarks against the lab and writes bench/RESULTS.md.

.DESCRIPTION
    Needs root, a built module (build.ps1 Build) and a running lab (dockerd and libvirtd, as
    build.ps1 Bench starts them). Each benchmark measures HybridNet and its baseline in the same
    run, and the report gives the ratio with the absolute numbers and PASS or MISS against the
    target:

      1. Attaching containers: one Connect-HybridContainer call against a loop of
         'docker network connect' and a sequential loop of raw Engine API calls
         (POST /networks/{id}/connect over the unix socket). Target: at most 0.4 times the CLI
         loop and at most 1.2 times the API loop.
      2. All-pairs reachability: Test-HybridConnectivity against a sequential loop of
         'docker exec <c> ping -c1 -W1 <ip>', with containers only and again with two VMs among
         the endpoints. Target: at least 20 times faster and under 4 s.
      3. Import-Module HybridNet and the first Get-HybridBridge in a fresh pwsh per sample.
         Target: median under 0.3 s each.
      4. Data path: latency and TCP throughput between two containers over a hybrid bridge
         against a plain Docker bridge network (target: within 5 %), and container-to-VM latency
         over a hybrid bridge against the path routed by the host between two bridges.
      5. Memory: peak working set of the pwsh process that ran benchmark 2. Target: under
         300 MB (300,000,000 bytes).

    Every resource is named hnb<run id>, and subnets come from 10.254.10.0/24 to
    10.254.13.0/24. Everything the run created is removed at the end, also after a failure.
    The report says whether the run shared the machine (others' containers and domains, sampled
    every 5 s, and the machine's CPU time), and marks a benchmark INVALID when another process
    restarted dockerd or libvirtd while it ran.

.PARAMETER ModulePath
    Manifest of the module under test.

.PARAMETER OutputPath
    Markdown report to write.

.PARAMETER AttachCount
    Number of running containers attached in benchmark 1. With the two data-path containers they
    must fit the 64 addresses of the bridge's container pool.

.PARAMETER ReachabilityCount
    Number of endpoints in benchmark 2, at most -AttachCount. The run probes n * (n - 1) ordered
    pairs.

.PARAMETER Rounds
    Repetitions of benchmark 1, of the Test-HybridConnectivity runs of benchmark 2 and of the
    container-to-VM paths of benchmark 4. The report uses the median.

.PARAMETER ImportSamples
    Fresh pwsh processes in benchmark 3.

.PARAMETER DataPathRounds
    Rounds of benchmark 4 between two containers. Each round measures both paths.

.PARAMETER EchoCount
    ICMP echoes per path and round in benchmark 4.

.PARAMETER StreamSeconds
    Duration of each TCP stream in benchmark 4, in seconds.

.PARAMETER SkipVm
    Leaves out the VMs: no VM variant of benchmark 2 and no container-to-VM paths.

.EXAMPLE
    dotnet pwsh ./build.ps1 Bench

.EXAMPLE
    dotnet pwsh -NoProfile -File bench/Invoke-HybridBenchmark.ps1 -AttachCount 10 -ReachabilityCount 6 -Rounds 1
#>
[CmdletBinding()]
param(
    [string] $ModulePath = (Join-Path (Split-Path -Parent $PSScriptRoot) 'out/HybridNet/HybridNet.psd1'),
    [string] $OutputPath = (Join-Path $PSScriptRoot 'RESULTS.md'),
    [ValidateRange(2, 60)][int] $AttachCount = 50,
    [ValidateRange(3, 50)][int] $ReachabilityCount = 30,
    [ValidateRange(1, 20)][int] $Rounds = 5,
    [ValidateRange(1, 50)][int] $ImportSamples = 7,
    [ValidateRange(10, 1000)][int] $EchoCount = 200,
    [ValidateRange(1, 50)][int] $DataPathRounds = 10,
    [ValidateRange(1, 60)][int] $StreamSeconds = 3,
    [switch] $SkipVm
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$RepoRoot = Split-Path -Parent $PSScriptRoot
Import-Module (Join-Path $RepoRoot 'tools/HybridLab.psm1') -Force
Import-Module (Join-Path $PSScriptRoot 'BenchSupport.psm1') -Force
Import-Module $ModulePath -Force

$RunId = New-BenchRunId
$Lab = [ordered]@{
    MainBridge       = "${RunId}m"
    MainSubnet       = '10.254.10.0/24'
    RoutedCBridge    = "${RunId}c"
    RoutedCSubnet    = '10.254.11.0/24'
    RoutedVBridge    = "${RunId}v"
    RoutedVSubnet    = '10.254.12.0/24'
    PlainNetwork     = "${RunId}p"
    PlainSubnet      = '10.254.13.0/24'
    AttachContainers = @(1..$AttachCount | ForEach-Object { '{0}-c{1:d2}' -f $RunId, $_ })
    HybridPair       = @("$RunId-d1", "$RunId-d2")
    PlainPair        = @("$RunId-p1", "$RunId-p2")
    RoutedContainer  = "$RunId-r1"
    MainVms          = @("$RunId-vm1", "$RunId-vm2")
    RoutedVm         = "$RunId-vm3"
}

function Write-Step {
    param([string] $Message)

    Write-Host ("[{0:HH:mm:ss}] {1}" -f [datetime]::Now, $Message)
}

function Measure-Seconds {
    param([scriptblock] $Action)

    $stopwatch = [System.Diagnostics.Stopwatch]::StartNew()
    & $Action | Out-Null
    return $stopwatch.Elapsed.TotalSeconds
}

function Get-Verdict {
    param([bool] $Passed)

    if ($Passed) { 'PASS' } else { 'MISS' }
}

#region Lab

function Initialize-BenchLab {
    Write-Step "Creating bridges, networks and containers of run $RunId"
    New-HybridLabImage | Out-Null
    Invoke-BenchNative docker @('network', 'create', '--driver', 'bridge', '--subnet', $Lab.PlainSubnet,
        '-o', "com.docker.network.bridge.name=$($Lab.PlainNetwork)", '--label', 'hybridnet.bench=1', $Lab.PlainNetwork) | Out-Null
    New-HybridBridge -Name $Lab.MainBridge -Subnet $Lab.MainSubnet | Out-Null
    New-HybridBridge -Name $Lab.RoutedCBridge -Subnet $Lab.RoutedCSubnet -Mode Routed -AllowNetwork $Lab.RoutedVSubnet | Out-Null
    New-HybridBridge -Name $Lab.RoutedVBridge -Subnet $Lab.RoutedVSubnet -Mode Routed -AllowNetwork $Lab.RoutedCSubnet | Out-Null

    # The containers to attach start on the plain network, so docker0 and others' networks stay untouched.
    foreach ($name in $Lab.AttachContainers + $Lab.PlainPair) {
        New-BenchContainer -Name $name -Network $Lab.PlainNetwork | Out-Null
    }

    # The data-path and routed containers have one network each, so their default route is that bridge.
    foreach ($name in $Lab.HybridPair) {
        New-BenchContainer -Name $name -Network $Lab.MainBridge | Out-Null
    }

    New-BenchContainer -Name $Lab.RoutedContainer -Network $Lab.RoutedCBridge | Out-Null
    if ($SkipVm) {
        return
    }

    Write-Step 'Starting three lab VMs'
    foreach ($vm in $Lab.MainVms + $Lab.RoutedVm) {
        New-HybridLabVM -Name $vm -Start | Out-Null
    }

    foreach ($vm in $Lab.MainVms + $Lab.RoutedVm) {
        Wait-HybridLabGuestAgent -Name $vm -TimeoutSec 300 | Out-Null
        $bridge = if ($vm -eq $Lab.RoutedVm) { $Lab.RoutedVBridge } else { $Lab.MainBridge }
        Connect-HybridVM -Domain $vm -Bridge $bridge -ErrorAction Stop | Out-Null
        Get-HybridLabGuestAddress -Name $vm -InterfaceName eth0 -TimeoutSec 180 | Out-Null
    }

    # An isolated libvirt network hands out no default route, so the routed guest gets one
    # route back to the container bridge through its own gateway.
    $gateway = (Get-HybridBridge -Name $Lab.RoutedVBridge).Gateway
    $route = Invoke-HybridLabGuestCommand -Name $Lab.RoutedVm -Path ip -ArgumentList @('route', 'add', $Lab.RoutedCSubnet, 'via', $gateway)
    if ($route.ExitCode -ne 0) {
        throw "ip route add in $($Lab.RoutedVm) failed: $($route.StdErr)"
    }
}

function Get-BenchEndpoint {
    param([string] $Bridge, [string] $Name)

    $endpoint = Get-HybridEndpoint -Bridge $Bridge -Name $Name
    if (-not $endpoint) {
        throw "'$Name' is not a member of bridge $Bridge."
    }

    return $endpoint
}

#endregion

#region Benchmark 1: attaching containers

function Get-AttachedCount {
    param([string] $Network)

    $containers = (Invoke-BenchNative docker @('network', 'inspect', '--format', '{{range .Containers}}{{.Name}} {{end}}', $Network)) -split ' '
    return @($containers | Where-Object { $_ -in $Lab.AttachContainers }).Count
}

function Disconnect-AttachContainers {
    param($Client, [string] $NetworkId)

    foreach ($name in $Lab.AttachContainers) {
        Invoke-BenchDockerNetworkCall -Client $Client -Action disconnect -NetworkId $NetworkId -Container $name
    }
}

<#
.SYNOPSIS
    Runs a HybridNet command with -Verbose and sums, per kind of verbose message, the time
    until the next message: the time the step announced by that message took.

.DESCRIPTION
    The cmdlets write verbose messages from the pipeline thread while their engine work runs,
    so a message arrives here within about 25 ms of the engine logging it. Names, ids and
    addresses in the messages are replaced by placeholders, so the steps of all items group.
#>
function Get-VerboseProfile {
    param([Parameter(Mandatory)][scriptblock] $Action, [int] $Top = 10)

    $stopwatch = [System.Diagnostics.Stopwatch]::StartNew()
    $events = [System.Collections.Generic.List[object]]::new()
    & $Action 4>&1 | ForEach-Object {
        if ($_ -is [System.Management.Automation.VerboseRecord]) {
            $events.Add([pscustomobject]@{ At = $stopwatch.Elapsed.TotalMilliseconds; Message = $_.Message })
        }
    }

    $total = $stopwatch.Elapsed.TotalMilliseconds
    $steps = for ($i = 0; $i -lt $events.Count; $i++) {
        $end = if ($i + 1 -lt $events.Count) { $events[$i + 1].At } else { $total }
        [pscustomobject]@{ Kind = ConvertTo-MessageKind $events[$i].Message; Milliseconds = $end - $events[$i].At }
    }

    $byKind = @($steps | Group-Object Kind | ForEach-Object {
            [pscustomobject]@{
                Kind         = $_.Name
                Count        = $_.Count
                Milliseconds = ($_.Group | Measure-Object Milliseconds -Sum).Sum
            }
        } | Sort-Object Milliseconds -Descending)
    [pscustomobject]@{
        TotalMilliseconds    = $total
        BeforeFirstMessageMs = if ($events.Count -gt 0) { $events[0].At } else { $total }
        MessageCount         = $events.Count
        TopKinds             = @($byKind | Select-Object -First $Top)
    }
}

function ConvertTo-MessageKind {
    param([string] $Message)

    $kind = $Message -replace '\s+', ' '
    $kind = $kind -replace '\b(dumpxml|domstate|net-dumpxml --inactive|net-dumpxml|net-info|net-update|domiflist) [^\s'']+', '$1 <name>'
    $kind = $kind -replace '/containers/[^/\s]+/', '/containers/<id>/' -replace '/networks/[^/\s]+', '/networks/<name>'
    $kind = $kind -replace '(HYBRIDNET-|hybridnet:)[\w.-]+', '$1<bridge>'
    $kind = $kind -replace "$RunId[-\w]*", '<name>' -replace '\b[0-9a-f]{12,64}\b', '<id>' -replace '\d+\.\d+\.\d+\.\d+', '<ip>'
    if ($kind.Length -gt 120) {
        $kind = $kind.Substring(0, 120) + '...'
    }

    return $kind
}

function Invoke-AttachBenchmark {
    Write-Step "Benchmark 1: attaching $AttachCount containers, $Rounds round(s)"
    $network = (Get-HybridBridge -Name $Lab.MainBridge).DockerNetwork
    $networkId = (Invoke-BenchNative docker @('network', 'inspect', '--format', '{{.Id}}', $network)).Trim()
    $client = New-BenchDockerClient
    $methods = @('HybridNet', 'CliLoop', 'ApiLoop', 'ApiBatches')
    $times = @{ HybridNet = @(); CliLoop = @(); ApiLoop = @(); ApiBatches = @() }
    for ($round = 0; $round -lt $Rounds; $round++) {
        # The order rotates each round, so no method always runs first on a cold cache.
        $shift = $round % $methods.Count
        $order = @($methods | Select-Object -Skip $shift) + @($methods | Select-Object -First $shift)
        foreach ($method in $order) {
            $seconds = switch ($method) {
                'HybridNet' {
                    Measure-Seconds {
                        $endpoints = @(Connect-HybridContainer -Container $Lab.AttachContainers -Bridge $Lab.MainBridge -ErrorAction Stop)
                        if ($endpoints.Count -ne $AttachCount) {
                            throw "Connect-HybridContainer wrote $($endpoints.Count) endpoints, expected $AttachCount."
                        }
                    }
                }
                'CliLoop' {
                    Measure-Seconds {
                        foreach ($name in $Lab.AttachContainers) {
                            & docker network connect $network $name
                            if ($LASTEXITCODE -ne 0) {
                                throw "docker network connect $network $name failed."
                            }
                        }
                    }
                }
                'ApiLoop' {
                    Measure-Seconds {
                        foreach ($name in $Lab.AttachContainers) {
                            Invoke-BenchDockerNetworkCall -Client $client -Action connect -NetworkId $networkId -Container $name
                        }
                    }
                }
                'ApiBatches' {
                    Measure-Seconds {
                        Invoke-BenchDockerConnectBatches -Client $client -NetworkId $networkId -Containers $Lab.AttachContainers -InFlight 8
                    }
                }
            }

            $attached = Get-AttachedCount -Network $network
            if ($attached -ne $AttachCount) {
                throw "$method attached $attached of $AttachCount containers."
            }

            $times[$method] += $seconds
            Write-Step ("  round {0} {1}: {2:F2} s" -f ($round + 1), $method, $seconds)
            if ($method -eq 'HybridNet') {
                Disconnect-HybridContainer -Container $Lab.AttachContainers -Bridge $Lab.MainBridge -Confirm:$false -ErrorAction Stop | Out-Null
            }
            else {
                Disconnect-AttachContainers -Client $client -NetworkId $networkId
            }
        }
    }

    Write-Step '  profiling one Connect-HybridContainer run with -Verbose'
    $attachProfile = Get-VerboseProfile -Action {
        Connect-HybridContainer -Container $Lab.AttachContainers -Bridge $Lab.MainBridge -Verbose -ErrorAction Stop
    }
    Disconnect-HybridContainer -Container $Lab.AttachContainers -Bridge $Lab.MainBridge -Confirm:$false -ErrorAction Stop | Out-Null
    $client.Dispose()

    $hybrid = Get-BenchMedian $times.HybridNet
    $cli = Get-BenchMedian $times.CliLoop
    $api = Get-BenchMedian $times.ApiLoop
    [pscustomobject]@{
        ApiBatches = Get-BenchMedian $times.ApiBatches
        Times      = $times
        HybridNet  = $hybrid
        CliLoop    = $cli
        ApiLoop    = $api
        CliRatio   = $hybrid / $cli
        ApiRatio   = $hybrid / $api
        Profile    = $attachProfile
    }
}

#endregion

#region Benchmark 2 and 5: all-pairs reachability and memory

function Measure-ExecLoop {
    # Sequential baseline: one 'docker exec ping' per ordered pair from a container, one ping
    # through the QEMU guest agent per pair from a VM. Returns seconds and the reachable count.
    param([object[]] $Endpoints)

    $reachable = 0
    $pairs = 0
    $stopwatch = [System.Diagnostics.Stopwatch]::StartNew()
    foreach ($source in $Endpoints) {
        foreach ($target in $Endpoints) {
            if ($source.Name -eq $target.Name) {
                continue
            }

            $pairs++
            if ($source.Kind -eq 'Container') {
                & docker exec $source.Name ping -c 1 -W 1 $target.IPAddress *> $null
                if ($LASTEXITCODE -eq 0) {
                    $reachable++
                }
            }
            else {
                $result = Invoke-HybridLabGuestCommand -Name $source.Name -Path ping -ArgumentList @('-c', '1', '-W', '1', $target.IPAddress) -TimeoutSec 30
                if ($result.ExitCode -eq 0) {
                    $reachable++
                }
            }
        }
    }

    [pscustomobject]@{ Seconds = $stopwatch.Elapsed.TotalSeconds; Pairs = $pairs; Reachable = $reachable }
}

function Measure-HybridReachability {
    param([string[]] $Names)

    $arguments = @('-ModulePath', $ModulePath, '-Bridge', $Lab.MainBridge, '-Names', ($Names -join ','), '-Runs', "$Rounds")
    $lines = Invoke-BenchFreshPwsh -File (Join-Path $PSScriptRoot 'Measure-Reachability.ps1') -Arguments $arguments
    $result = Get-BenchJsonResult -Lines $lines
    $seconds = @($result.Runs | ForEach-Object { [double]$_.Seconds })
    [pscustomobject]@{
        Runs                = @($result.Runs)
        FirstSeconds        = $seconds[0]
        MedianSeconds       = Get-BenchMedian $seconds
        PeakWorkingSetBytes = [long]$result.PeakWorkingSetBytes
    }
}

function Invoke-ReachabilityCase {
    param([string] $Label, [string[]] $Names)

    Write-Step "  $Label`: Test-HybridConnectivity in a fresh pwsh, $Rounds run(s)"
    $hybrid = Measure-HybridReachability -Names $Names
    Write-Step ("  $Label`: HybridNet median {0:F2} s, first run {1:F2} s" -f $hybrid.MedianSeconds, $hybrid.FirstSeconds)
    $endpoints = @(Get-HybridEndpoint -Bridge $Lab.MainBridge | Where-Object Name -In $Names)
    Write-Step "  $Label`: sequential exec loop over $($endpoints.Count * ($endpoints.Count - 1)) pairs"
    $loop = Measure-ExecLoop -Endpoints $endpoints
    Write-Step ("  $Label`: exec loop {0:F1} s, {1} of {2} reachable" -f $loop.Seconds, $loop.Reachable, $loop.Pairs)
    [pscustomobject]@{
        Label    = $Label
        Endpoints = $endpoints.Count
        Pairs    = $loop.Pairs
        HybridNet = $hybrid
        Loop     = $loop
        Speedup  = $loop.Seconds / $hybrid.MedianSeconds
        FirstRunSpeedup = $loop.Seconds / $hybrid.FirstSeconds
    }
}

function Invoke-ReachabilityBenchmark {
    Write-Step "Benchmark 2: all-pairs reachability of $ReachabilityCount endpoints"
    $containers = @($Lab.AttachContainers | Select-Object -First $ReachabilityCount)
    if ($containers.Count -lt $ReachabilityCount) {
        throw "-ReachabilityCount $ReachabilityCount needs at least as many attach containers (-AttachCount)."
    }

    Connect-HybridContainer -Container $containers -Bridge $Lab.MainBridge -ErrorAction Stop | Out-Null
    $cases = @(Invoke-ReachabilityCase -Label 'containers' -Names $containers)
    if (-not $SkipVm) {
        $mixed = @($containers | Select-Object -First ($ReachabilityCount - 2)) + $Lab.MainVms
        $cases += Invoke-ReachabilityCase -Label 'with two VMs' -Names $mixed
    }

    Disconnect-HybridContainer -Container $containers -Bridge $Lab.MainBridge -Confirm:$false -ErrorAction Stop | Out-Null
    return $cases
}

#endregion

#region Benchmark 3: module load

function Invoke-ModuleLoadBenchmark {
    Write-Step "Benchmark 3: Import-Module and first Get-HybridBridge, $ImportSamples fresh pwsh processes"
    $samples = foreach ($i in 1..$ImportSamples) {
        $lines = Invoke-BenchFreshPwsh -File (Join-Path $PSScriptRoot 'Measure-ModuleLoad.ps1') -Arguments @('-ModulePath', $ModulePath)
        Get-BenchJsonResult -Lines $lines
    }

    Write-Step '  profiling one Get-HybridBridge run with -Verbose'
    $getProfile = Get-VerboseProfile -Action { Get-HybridBridge -Verbose }
    [pscustomobject]@{
        Profile      = $getProfile
        Samples      = @($samples)
        ImportMedian = Get-BenchMedian @($samples | ForEach-Object { [double]$_.ImportSeconds })
        FirstMedian  = Get-BenchMedian @($samples | ForEach-Object { [double]$_.FirstGetSeconds })
        SecondMedian = Get-BenchMedian @($samples | ForEach-Object { [double]$_.SecondGetSeconds })
        BridgeCount  = $samples[-1].BridgeCount
    }
}

#endregion

#region Benchmark 4: data path

function Get-EngineMeasurementType {
    # The engine assembly loads into HybridNet's own AssemblyLoadContext, where PowerShell's
    # type-name lookup does not search, so the type is taken from the loaded assembly.
    $assembly = [System.AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'HybridNet.Engine' } |
        Select-Object -First 1
    if (-not $assembly) {
        throw 'HybridNet.Engine is not loaded yet. Run a HybridNet cmdlet that touches the host first.'
    }

    return $assembly.GetType('HybridNet.Engine.Probing.PathMeasurement', $true)
}

function Get-ContainerNetworkInfo {
    param([string] $Name, [string] $Network)

    $inspect = (Invoke-BenchNative docker @('inspect', $Name)) | ConvertFrom-Json
    [pscustomobject]@{
        Pid       = [int]$inspect[0].State.Pid
        IPAddress = $inspect[0].NetworkSettings.Networks.$Network.IPAddress
    }
}

function Measure-EnginePath {
    # Measures one container-to-container path with the engine code Measure-HybridPath runs
    # (PathMeasurement), which also works for the plain Docker network, whose containers are no
    # HybridNet endpoints. Returns every round-trip time and the stream's rate.
    param($Type, $Source, $Target)

    $none = [System.Threading.CancellationToken]::None
    $sourceNamespace = "/proc/$($Source.Pid)/ns/net"
    $targetNamespace = "/proc/$($Target.Pid)/ns/net"
    $address = [System.Net.IPAddress]::Parse($Target.IPAddress)
    $latency = $Type::MeasureLatencyAsync($sourceNamespace, $address, $EchoCount, 1000, $none).GetAwaiter().GetResult()
    $throughput = $Type::MeasureThroughputAsync($sourceNamespace, $targetNamespace, $address,
        [TimeSpan]::FromSeconds($StreamSeconds), [TimeSpan]::FromSeconds(30), $none).GetAwaiter().GetResult()
    [pscustomobject]@{
        RoundTripsMs   = [double[]]@($latency.RoundTripsMs)
        ThroughputMbps = $throughput.Mbps
    }
}

function Measure-BusyboxPing {
    # Cross-check with the container's own busybox ping: round-trip average in ms.
    param([string] $Container, [string] $Address)

    $output = Invoke-BenchNative docker @('exec', $Container, 'ping', '-q', '-A', '-c', "$EchoCount", $Address)
    if ($output -match 'min/avg/max = [\d.]+/([\d.]+)/') {
        return [double]$Matches[1]
    }

    throw "No round-trip summary in the ping output of ${Container}: $output"
}

function Get-Spread {
    # Smallest and largest value, as text.
    param([double[]] $Values, [int] $Decimals)

    $sorted = @($Values | Sort-Object)
    return '{0} to {1}' -f (Format-BenchNumber $sorted[0] $Decimals), (Format-BenchNumber $sorted[-1] $Decimals)
}

function Invoke-ContainerPathRounds {
    # Alternates the two container-to-container paths for $DataPathRounds rounds and pools the
    # round-trip times of each path, so both see the same changes in the machine's load.
    $hybridSource = Get-BenchEndpoint -Bridge $Lab.MainBridge -Name $Lab.HybridPair[0]
    $hybridTarget = Get-BenchEndpoint -Bridge $Lab.MainBridge -Name $Lab.HybridPair[1]
    $cmdlet = Measure-HybridPath -Source $hybridSource -Target $hybridTarget -Count $EchoCount -Seconds $StreamSeconds -ErrorAction Stop
    $type = Get-EngineMeasurementType
    $paths = @{
        hybrid = @{
            Source   = [pscustomobject]@{ Pid = $hybridSource.ContainerPid; IPAddress = $hybridSource.IPAddress }
            Target   = [pscustomobject]@{ Pid = $hybridTarget.ContainerPid; IPAddress = $hybridTarget.IPAddress }
            Busybox  = $Lab.HybridPair[0]
        }
        plain  = @{
            Source   = Get-ContainerNetworkInfo -Name $Lab.PlainPair[0] -Network $Lab.PlainNetwork
            Target   = Get-ContainerNetworkInfo -Name $Lab.PlainPair[1] -Network $Lab.PlainNetwork
            Busybox  = $Lab.PlainPair[0]
        }
    }

    # Rule counts, without the policy or chain line, of the chains a bridged packet passes when
    # br_netfilter hands bridged IPv4 to iptables.
    $firewall = [pscustomobject]@{
        BridgeNetfilter = "$(Get-Content -Raw /proc/sys/net/bridge/bridge-nf-call-iptables -ErrorAction Ignore)".Trim()
        Forward         = @(& iptables -w 5 -S FORWARD).Count - 1
        DockerUser      = @(& iptables -w 5 -S DOCKER-USER).Count - 1
        Isolation       = @(& iptables -w 5 -S DOCKER-ISOLATION-STAGE-1).Count - 1
    }
    $pooled = @{ hybrid = [System.Collections.Generic.List[double]]::new(); plain = [System.Collections.Generic.List[double]]::new() }
    $rows = for ($round = 0; $round -lt $DataPathRounds; $round++) {
        $row = [ordered]@{}
        foreach ($path in @(if ($round % 2 -eq 0) { 'hybrid', 'plain' } else { 'plain', 'hybrid' })) {
            $sample = Measure-EnginePath -Type $type -Source $paths[$path].Source -Target $paths[$path].Target
            $pooled[$path].AddRange($sample.RoundTripsMs)
            $row["${path}TrimmedMs"] = Get-BenchTrimmedMean $sample.RoundTripsMs
            $row["${path}Mbps"] = $sample.ThroughputMbps
            $row["${path}BusyboxMs"] = Measure-BusyboxPing -Container $paths[$path].Busybox -Address $paths[$path].Target.IPAddress
        }

        Write-Step ("  round {0}: trimmed mean RTT hybrid {1:F4} ms, plain {2:F4} ms, throughput hybrid {3:F0} Mbit/s, plain {4:F0} Mbit/s" -f
            ($round + 1), $row.hybridTrimmedMs, $row.plainTrimmedMs, $row.hybridMbps, $row.plainMbps)
        [pscustomobject]$row
    }

    $stats = @{}
    foreach ($path in 'hybrid', 'plain') {
        $all = $pooled[$path].ToArray()
        $stats[$path] = [pscustomobject]@{
            Echoes       = $all.Count
            TrimmedMs    = Get-BenchTrimmedMean $all
            MedianMs     = Get-BenchMedian $all
            MeanMs       = ($all | Measure-Object -Average).Average
            Mbps         = Get-BenchMedian @($rows | ForEach-Object { $_."${path}Mbps" })
            BusyboxMs    = Get-BenchMedian @($rows | ForEach-Object { $_."${path}BusyboxMs" })
            TrimmedSpread = Get-Spread @($rows | ForEach-Object { $_."${path}TrimmedMs" }) 4
            MbpsSpread   = Get-Spread @($rows | ForEach-Object { $_."${path}Mbps" }) 0
        }
    }

    [pscustomobject]@{
        Firewall = $firewall
        Cmdlet = $cmdlet
        Rows   = @($rows)
        Hybrid = $stats.hybrid
        Plain  = $stats.plain
    }
}

function Invoke-VmPathRounds {
    $container = Get-BenchEndpoint -Bridge $Lab.MainBridge -Name $Lab.HybridPair[0]
    $vm = Get-BenchEndpoint -Bridge $Lab.MainBridge -Name $Lab.MainVms[0]
    $routedContainer = Get-BenchEndpoint -Bridge $Lab.RoutedCBridge -Name $Lab.RoutedContainer
    $routedVm = Get-BenchEndpoint -Bridge $Lab.RoutedVBridge -Name $Lab.RoutedVm
    $vmEchoes = [math]::Min($EchoCount, 50)
    for ($round = 0; $round -lt $Rounds; $round++) {
        $measurements = [ordered]@{
            HybridToVm   = Measure-HybridPath -Source $container -Target $vm -Count $vmEchoes -Seconds 1 -ErrorAction Stop
            RoutedToVm   = Measure-HybridPath -Source $routedContainer -Target $routedVm -Count $vmEchoes -Seconds 1 -ErrorAction Stop
            HybridFromVm = Measure-HybridPath -Source $vm -Target $container -Count $vmEchoes -Seconds 0 -ErrorAction Stop
            RoutedFromVm = Measure-HybridPath -Source $routedVm -Target $routedContainer -Count $vmEchoes -Seconds 0 -ErrorAction Stop
        }
        Write-Step ("  round {0}: container to VM hybrid {1} ms, routed {2} ms, VM to container hybrid {3} ms, routed {4} ms" -f
            ($round + 1), $measurements.HybridToVm.LatencyAvgMs, $measurements.RoutedToVm.LatencyAvgMs,
            $measurements.HybridFromVm.LatencyAvgMs, $measurements.RoutedFromVm.LatencyAvgMs)
        [pscustomobject]$measurements
    }
}

function Invoke-DataPathBenchmark {
    Write-Step "Benchmark 4: data path, $DataPathRounds round(s) of $EchoCount echoes and a $StreamSeconds s stream per path"
    $containers = Invoke-ContainerPathRounds
    $vmRows = if ($SkipVm) { @() } else { @(Invoke-VmPathRounds) }
    [pscustomobject]@{
        Containers      = $containers
        VmRows          = @($vmRows)
        LatencyRatio    = $containers.Hybrid.TrimmedMs / $containers.Plain.TrimmedMs
        MedianRatio     = $containers.Hybrid.MedianMs / $containers.Plain.MedianMs
        MeanRatio       = $containers.Hybrid.MeanMs / $containers.Plain.MeanMs
        BusyboxRatio    = $containers.Hybrid.BusyboxMs / $containers.Plain.BusyboxMs
        ThroughputRatio = $containers.Hybrid.Mbps / $containers.Plain.Mbps
    }
}

#endregion

#region Report

function Get-ReportText {
    param($Machine, $CpuBefore, $CpuAfter, $Others, $Results, [string[]] $Failures, $Disturbed)

    $f = { param($value, $decimals = 2) Format-BenchNumber $value $decimals }
    $verdict = {
        param([string] $Key, [bool] $Passed)
        if ($Disturbed.Contains($Key)) { 'INVALID (a daemon restarted)' } else { Get-Verdict $Passed }
    }
    $lines = [System.Collections.Generic.List[string]]::new()
    $commit = (& git -C $RepoRoot rev-parse --short HEAD 2>$null)
    $dirty = if (& git -C $RepoRoot status --porcelain 2>$null) { ' with uncommitted changes' } else { '' }
    $lines.Add('# HybridNet benchmark results')
    $lines.Add('')
    $lines.Add("Written by bench/Invoke-HybridBenchmark.ps1 (run by ``build.ps1 Bench``). Commit: $(if ($commit) { $commit } else { 'unknown' })$dirty.")
    $lines.Add("Every ratio compares numbers measured in this one run, and the absolute numbers stand beside it.")
    $lines.Add('')
    $lines.Add('## Machine')
    $lines.Add('')
    $lines.Add('| Property | Value |')
    $lines.Add('| --- | --- |')
    foreach ($key in $Machine.Keys) {
        $lines.Add("| $key | $($Machine[$key]) |")
    }

    $lines.Add('')
    $busyTicks = $CpuAfter.BusyTicks - $CpuBefore.BusyTicks
    $totalTicks = $busyTicks + $CpuAfter.IdleTicks - $CpuBefore.IdleTicks
    $ownTicks = $CpuAfter.OwnTicks - $CpuBefore.OwnTicks
    $cpu = "During the run the machine's CPUs were busy $(& $f (100 * $busyTicks / $totalTicks) 0) % of the time, $(& $f ($busyTicks / 100) 0) CPU-seconds in all. This benchmark's pwsh and the programs it waited for (docker CLI, virsh, child pwsh) used $(& $f ($ownTicks / 100) 0) of them. The rest went to dockerd, libvirtd, QEMU and the kernel on behalf of this run and to other users' work, which /proc/stat does not tell apart. Load average (1, 5, 15 min): $($CpuBefore.LoadAverage) at the start, $($CpuAfter.LoadAverage) at the end."
    if ($Others.SamplesWithOthers -gt 0 -or $Disturbed.Count -gt 0) {
        $lines.Add("**The run shared the machine** ($($Machine['Logical cores']) cores) with other users' tests. A sampler listing running containers and domains every 5 s saw others' in $($Others.SamplesWithOthers) of $($Others.Samples) samples, with at most $($Others.MaxContainers) container(s) and $($Others.MaxDomains) domain(s) at once and $($Others.DistinctOthers) different ones in all. Timings are therefore noisier than on an idle machine.")
    }
    else {
        $lines.Add("A sampler listing running containers and domains every 5 s saw none of other users' in $($Others.Samples) samples. Other work outside Docker and libvirt cannot be seen from here.")
    }

    $lines.Add('')
    $lines.Add($cpu)
    $lines.Add('')
    $lines.Add('## Summary')
    $lines.Add('')
    $lines.Add('| # | Benchmark | HybridNet | Baseline | Ratio | Target | Result |')
    $lines.Add('| --- | --- | --- | --- | --- | --- | --- |')
    if ($Results.Contains('Attach')) {
        $a = $Results.Attach
        $lines.Add("| 1a | Attach $AttachCount running containers | $(& $f $a.HybridNet) s | CLI loop $(& $f $a.CliLoop) s | $(& $f $a.CliRatio 3) x | <= 0.4 x CLI loop | $(& $verdict 'Attach' ($a.CliRatio -le 0.4)) |")
        $lines.Add("| 1b | Attach $AttachCount running containers | $(& $f $a.HybridNet) s | raw API loop $(& $f $a.ApiLoop) s | $(& $f $a.ApiRatio 3) x | <= 1.2 x API loop | $(& $verdict 'Attach' ($a.ApiRatio -le 1.2)) |")
        $lines.Add("| 1c | Attach $AttachCount running containers | $(& $f $a.HybridNet) s | raw API, 8 requests in flight $(& $f $a.ApiBatches) s | $(& $f ($a.HybridNet / $a.ApiBatches) 3) x | report only | - |")
    }

    if ($Results.Contains('Reachability')) {
        $index = 0
        foreach ($case in $Results.Reachability) {
            $id = '2' + [char]([int][char]'a' + $index)
            $passed = $case.Speedup -ge 20 -and $case.HybridNet.MedianSeconds -lt 4
            $lines.Add("| $id | All pairs, $($case.Pairs) probes, $($case.Label) | $(& $f $case.HybridNet.MedianSeconds) s (first run $(& $f $case.HybridNet.FirstSeconds) s) | exec loop $(& $f $case.Loop.Seconds 1) s | $(& $f $case.Speedup 1) x faster | >= 20 x faster and < 4 s | $(& $verdict 'Reachability' $passed) |")
            $index++
        }
    }

    if ($Results.Contains('ModuleLoad')) {
        $m = $Results.ModuleLoad
        $lines.Add("| 3a | Import-Module HybridNet (median of $ImportSamples) | $(& $f $m.ImportMedian 3) s | - | - | < 0.3 s | $(& $verdict 'ModuleLoad' ($m.ImportMedian -lt 0.3)) |")
        $lines.Add("| 3b | First Get-HybridBridge (median of $ImportSamples) | $(& $f $m.FirstMedian 3) s | - | - | < 0.3 s | $(& $verdict 'ModuleLoad' ($m.FirstMedian -lt 0.3)) |")
    }

    if ($Results.Contains('DataPath')) {
        $d = $Results.DataPath
        $c = $d.Containers
        $lines.Add("| 4a | Container to container latency (10 % trimmed mean RTT of $($c.Hybrid.Echoes) echoes) | $(& $f $c.Hybrid.TrimmedMs 4) ms | plain Docker bridge $(& $f $c.Plain.TrimmedMs 4) ms | $(& $f $d.LatencyRatio 3) | within 5 % (0.95 to 1.05) | $(& $verdict 'DataPath' ([math]::Abs($d.LatencyRatio - 1) -le 0.05)) |")
        $lines.Add("| 4b | Container to container TCP throughput (median of $DataPathRounds streams) | $(& $f $c.Hybrid.Mbps 0) Mbit/s | plain Docker bridge $(& $f $c.Plain.Mbps 0) Mbit/s | $(& $f $d.ThroughputRatio 3) | within 5 % (0.95 to 1.05) | $(& $verdict 'DataPath' ([math]::Abs($d.ThroughputRatio - 1) -le 0.05)) |")
        if ($d.VmRows.Count -gt 0) {
            $toVmHybrid = Get-BenchMedian @($d.VmRows | ForEach-Object { $_.HybridToVm.LatencyAvgMs })
            $toVmRouted = Get-BenchMedian @($d.VmRows | ForEach-Object { $_.RoutedToVm.LatencyAvgMs })
            $fromVmHybrid = Get-BenchMedian @($d.VmRows | ForEach-Object { $_.HybridFromVm.LatencyAvgMs })
            $fromVmRouted = Get-BenchMedian @($d.VmRows | ForEach-Object { $_.RoutedFromVm.LatencyAvgMs })
            $lines.Add("| 4c | Container to VM latency (mean RTT) | $(& $f $toVmHybrid 3) ms | routed between two bridges $(& $f $toVmRouted 3) ms | $(& $f ($toVmHybrid / $toVmRouted) 3) | report only | - |")
            $lines.Add("| 4d | VM to container latency (ping in the guest) | $(& $f $fromVmHybrid 3) ms | routed between two bridges $(& $f $fromVmRouted 3) ms | $(& $f ($fromVmHybrid / $fromVmRouted) 3) | report only | - |")
            $lines.Add("| 4e | Container to VM TCP throughput | not supported | not supported | - | report only | - |")
        }
    }

    if ($Results.Contains('Reachability')) {
        $peak = $Results.Reachability[0].HybridNet.PeakWorkingSetBytes
        $lines.Add("| 5 | Peak working set of the pwsh running 2a | $(& $f ($peak / 1e6) 1) MB | - | - | < 300 MB | $(& $verdict 'Reachability' ($peak -lt 300e6)) |")
    }

    foreach ($failure in $Failures) {
        $lines.Add('')
        $lines.Add("**A benchmark failed and has no numbers:** $failure")
    }

    foreach ($key in $Disturbed.Keys) {
        $lines.Add('')
        $lines.Add("**Benchmark $key is not valid:** another process restarted dockerd or libvirtd while it ran ($($Disturbed[$key])).")
    }

    Add-MissSection -Lines $lines -Results $Results -Format $f
    Add-DetailSections -Lines $lines -Results $Results -Format $f
    return $lines -join "`n"
}

function Add-MissSection {
    # States each missed target in words, with the numbers behind it.
    param($Lines, $Results, $Format)

    $f = $Format
    $misses = [System.Collections.Generic.List[string]]::new()
    if ($Results.Contains('Attach')) {
        $a = $Results.Attach
        $perContainer = & $f (1000 * $a.HybridNet / $AttachCount) 0
        if ($a.CliRatio -gt 0.4) {
            $misses.Add("1a: Connect-HybridContainer took $(& $f $a.HybridNet) s for $AttachCount containers ($perContainer ms each), $(& $f $a.CliRatio 2) times the CLI loop's $(& $f $a.CliLoop) s. The target allows $(& $f (0.4 * $a.CliLoop)) s. The sequential raw API loop ($(& $f $a.ApiLoop) s) and the API with 8 requests in flight ($(& $f $a.ApiBatches) s) did not meet it either.")
        }

        if ($a.ApiRatio -gt 1.2) {
            $misses.Add("1b: Connect-HybridContainer took $(& $f $a.ApiRatio 2) times the raw API loop's $(& $f $a.ApiLoop) s. The target allows $(& $f (1.2 * $a.ApiLoop)) s. The profile under Details shows where the time per container goes.")
        }
    }

    if ($Results.Contains('Reachability')) {
        foreach ($case in $Results.Reachability) {
            if ($case.Speedup -lt 20 -or $case.HybridNet.MedianSeconds -ge 4) {
                $misses.Add("2 ($($case.Label)): Test-HybridConnectivity took $(& $f $case.HybridNet.MedianSeconds) s (median) for $($case.Pairs) probes, $(& $f $case.Speedup 1) times faster than the exec loop's $(& $f $case.Loop.Seconds 1) s. The target is at least 20 times faster and under 4 s.")
            }
        }

        $peak = $Results.Reachability[0].HybridNet.PeakWorkingSetBytes
        if ($peak -ge 300e6) {
            $misses.Add("5: the pwsh that ran benchmark 2 peaked at $(& $f ($peak / 1e6) 1) MB, over the 300 MB target.")
        }
    }

    if ($Results.Contains('ModuleLoad')) {
        $m = $Results.ModuleLoad
        if ($m.ImportMedian -ge 0.3) {
            $misses.Add("3a: Import-Module took $(& $f $m.ImportMedian 3) s (median), over the 0.3 s target.")
        }

        if ($m.FirstMedian -ge 0.3) {
            $misses.Add("3b: the first Get-HybridBridge in a fresh process took $(& $f $m.FirstMedian 3) s (median) for $($m.BridgeCount) bridges, $(& $f ($m.FirstMedian / 0.3) 1) times the 0.3 s target. The second call took $(& $f $m.SecondMedian 3) s. The profile under Details lists the external commands per call.")
        }
    }

    if ($Results.Contains('DataPath')) {
        $d = $Results.DataPath
        foreach ($check in @(
                @{ Id = '4a'; What = 'round trip (10 % trimmed mean)'; Ratio = $d.LatencyRatio; Hybrid = "$(& $f $d.Containers.Hybrid.TrimmedMs 4) ms"; Plain = "$(& $f $d.Containers.Plain.TrimmedMs 4) ms"; Lower = 'shorter'; Higher = 'longer' }
                @{ Id = '4b'; What = 'TCP throughput (median)'; Ratio = $d.ThroughputRatio; Hybrid = "$(& $f $d.Containers.Hybrid.Mbps 0) Mbit/s"; Plain = "$(& $f $d.Containers.Plain.Mbps 0) Mbit/s"; Lower = 'lower'; Higher = 'higher' }
            )) {
            if ([math]::Abs($check.Ratio - 1) -gt 0.05) {
                $direction = if ($check.Ratio -lt 1) { $check.Lower } else { $check.Higher }
                $misses.Add("$($check.Id): the hybrid bridge's $($check.What) was $(& $f ([math]::Abs($check.Ratio - 1) * 100) 1) % $direction than the plain Docker bridge's ($($check.Hybrid) against $($check.Plain)), outside the 5 % band, which the target sets in both directions.")
            }
        }
    }

    if ($misses.Count -eq 0) {
        return
    }

    $Lines.Add('')
    $Lines.Add('## Missed targets')
    $Lines.Add('')
    foreach ($miss in $misses) {
        $Lines.Add("- $miss")
    }
}

function Add-ProfileTable {
    param($Lines, $VerboseProfile, [string] $Command, $Format)

    $f = $Format
    $Lines.Add('')
    $Lines.Add("Where a profiled ``$Command -Verbose`` run in the benchmark process spent its $(& $f ($VerboseProfile.TotalMilliseconds / 1000)) s: for each kind of verbose message, the time from the message to the next one, summed over $($VerboseProfile.MessageCount) messages. The first message came $(& $f $VerboseProfile.BeforeFirstMessageMs 0) ms after the start. Names, ids and addresses are replaced by placeholders.")
    $Lines.Add('')
    $Lines.Add('| Verbose message (start of the step) | Count | Total (ms) | Per message (ms) |')
    $Lines.Add('| --- | --- | --- | --- |')
    foreach ($kind in $VerboseProfile.TopKinds) {
        $text = $kind.Kind -replace '\|', '\|' -replace '`', "'"
        $Lines.Add("| ``$text`` | $($kind.Count) | $(& $f $kind.Milliseconds 0) | $(& $f ($kind.Milliseconds / $kind.Count) 1) |")
    }
}

function Add-DetailSections {
    param($Lines, $Results, $Format)

    $f = $Format
    $Lines.Add('')
    $Lines.Add('## Details')
    if ($Results.Contains('Attach')) {
        $a = $Results.Attach
        $Lines.Add('')
        $Lines.Add("### 1. Attaching $AttachCount running containers")
        $Lines.Add('')
        $Lines.Add("Containers of the lab image run on a plain Docker network and are attached to a hybrid bridge's Docker network. HybridNet: ``Connect-HybridContainer -Container `$names -Bridge <bridge>``, one call, including its final update of DNS records and /etc/hosts. CLI loop: ``docker network connect`` per container. API loop: ``POST /networks/{id}/connect`` per container over /var/run/docker.sock from PowerShell (HttpClient, SocketsHttpHandler.ConnectCallback to a UnixDomainSocketEndPoint). The containers are disconnected between runs, the order of the methods rotates each round, and the summary uses the median of $Rounds round(s).")
        $Lines.Add('')
        $Lines.Add('| Round | HybridNet (s) | CLI loop (s) | API loop (s) | API, 8 in flight (s) |')
        $Lines.Add('| --- | --- | --- | --- | --- |')
        for ($i = 0; $i -lt $a.Times.HybridNet.Count; $i++) {
            $Lines.Add("| $($i + 1) | $(& $f $a.Times.HybridNet[$i]) | $(& $f $a.Times.CliLoop[$i]) | $(& $f $a.Times.ApiLoop[$i]) | $(& $f $a.Times.ApiBatches[$i]) |")
        }

        $Lines.Add('')
        $Lines.Add("The last column is not a target: it sends the same API calls in batches of 8 concurrent requests, to show whether dockerd gets faster with requests in flight. The 0.4 x CLI target allows $(& $f (0.4 * $a.CliLoop)) s here, less than the sequential API loop's $(& $f $a.ApiLoop) s.")

        $Lines.Add('')
        $Lines.Add(("Per container: HybridNet {0} ms, CLI {1} ms, API {2} ms." -f (& $f (1000 * $a.HybridNet / $AttachCount) 1), (& $f (1000 * $a.CliLoop / $AttachCount) 1), (& $f (1000 * $a.ApiLoop / $AttachCount) 1)))
        Add-ProfileTable -Lines $Lines -VerboseProfile $a.Profile -Command 'Connect-HybridContainer' -Format $f
    }

    if ($Results.Contains('Reachability')) {
        $Lines.Add('')
        $Lines.Add('### 2. All-pairs reachability and 5. memory')
        $Lines.Add('')
        $Lines.Add("HybridNet: ``Get-HybridEndpoint`` members piped to ``Test-HybridConnectivity -ExcludeHost`` (defaults: ThrottleLimit 8, ProbeTimeoutMs 1000) in a fresh pwsh, $Rounds run(s) in that process. The verdict uses the median, and the first run of the fresh process is shown beside it. Baseline: one ``docker exec <source> ping -c 1 -W 1 <target>`` per ordered pair, one after another, or from a VM, ``ping -c 1 -W 1`` through the QEMU guest agent (guest-exec, then guest-exec-status polled every 200 ms by HybridLab's Invoke-HybridLabGuestCommand). Memory: Process.PeakWorkingSet64 (VmHWM) of that fresh pwsh after its runs.")
        $Lines.Add('')
        $Lines.Add('| Case | Endpoints | HybridNet runs (s) | Reachable per run | Exec loop (s) | Loop reachable | Peak working set (MB) |')
        $Lines.Add('| --- | --- | --- | --- | --- | --- | --- |')
        foreach ($case in $Results.Reachability) {
            $runs = ($case.HybridNet.Runs | ForEach-Object { & $f $_.Seconds }) -join ', '
            $reachable = ($case.HybridNet.Runs | ForEach-Object { "$($_.Reachable)/$($_.Probes)" }) -join ', '
            $Lines.Add("| $($case.Label) | $($case.Endpoints) | $runs | $reachable | $(& $f $case.Loop.Seconds 1) | $($case.Loop.Reachable)/$($case.Loop.Pairs) | $(& $f ($case.HybridNet.PeakWorkingSetBytes / 1e6) 1) |")
        }

        foreach ($case in $Results.Reachability) {
            $firstPassed = $case.FirstRunSpeedup -ge 20 -and $case.HybridNet.FirstSeconds -lt 4
            $Lines.Add('')
            $Lines.Add("First run of the fresh pwsh, $($case.Label): $(& $f $case.HybridNet.FirstSeconds) s, $(& $f $case.FirstRunSpeedup 1) x faster than the exec loop, $(Get-Verdict $firstPassed) against the same target.")
        }

        foreach ($case in $Results.Reachability) {
            foreach ($run in $case.HybridNet.Runs) {
                foreach ($failure in @($run.Failures)) {
                    $Lines.Add('')
                    $Lines.Add("Probe that was not Reachable ($($case.Label)): $failure")
                }
            }
        }
    }

    if ($Results.Contains('ModuleLoad')) {
        $m = $Results.ModuleLoad
        $Lines.Add('')
        $Lines.Add('### 3. Module load')
        $Lines.Add('')
        $Lines.Add("Each sample is a fresh ``pwsh -NoProfile`` that times, with a Stopwatch inside the process, ``Import-Module`` of the built manifest, then the first and second ``Get-HybridBridge`` (listing all $($m.BridgeCount) hybrid bridges on the machine, other users' included). pwsh start-up itself is not counted.")
        $Lines.Add('')
        $Lines.Add('| Sample | Import-Module (s) | First Get-HybridBridge (s) | Second Get-HybridBridge (s) |')
        $Lines.Add('| --- | --- | --- | --- |')
        for ($i = 0; $i -lt $m.Samples.Count; $i++) {
            $sample = $m.Samples[$i]
            $Lines.Add("| $($i + 1) | $(& $f $sample.ImportSeconds 3) | $(& $f $sample.FirstGetSeconds 3) | $(& $f $sample.SecondGetSeconds 3) |")
        }

        $Lines.Add("| median | $(& $f $m.ImportMedian 3) | $(& $f $m.FirstMedian 3) | $(& $f $m.SecondMedian 3) |")
        Add-ProfileTable -Lines $Lines -VerboseProfile $m.Profile -Command 'Get-HybridBridge' -Format $f
    }

    if ($Results.Contains('DataPath')) {
        $d = $Results.DataPath
        $Lines.Add('')
        $Lines.Add('### 4. Data path')
        $Lines.Add('')
        $c = $d.Containers
        $Lines.Add("Container to container: two lab containers with only a hybrid bridge's Docker network, against two with only a plain Docker bridge network (``docker network create``). Both paths are measured with the engine code of Measure-HybridPath (PathMeasurement.MeasureLatencyAsync and MeasureThroughputAsync), because the plain network's containers are no HybridNet endpoints. Each round measures both paths, in alternating order: $EchoCount ICMP echoes sent one after another from the source's network namespace after one warm-up echo, then one TCP stream of $StreamSeconds s from a socket in the source's namespace to a listener in the target's, then ``docker exec <source> ping -q -A -c $EchoCount`` with the image's busybox as a cross-check. Each engine round-trip time includes opening a raw socket, so it reads a little above ping(8), and IcmpEcho rounds it to 1 µs, which is $(& $f (0.1 / $c.Hybrid.TrimmedMs) 1) % of the hybrid path's round trip here. The latency verdict uses the mean of all echoes of a path without the lowest and highest tenth (10 % trimmed mean): single echoes delayed by other processes on the shared cores move the plain mean, and the median moves only in 1 µs steps. The throughput verdict uses the median of the $DataPathRounds streams.")
        $Lines.Add('')
        $Lines.Add('| Round | Hybrid trimmed mean RTT (ms) | Plain trimmed mean RTT (ms) | Hybrid Mbit/s | Plain Mbit/s | Hybrid busybox mean RTT (ms) | Plain busybox mean RTT (ms) |')
        $Lines.Add('| --- | --- | --- | --- | --- | --- | --- |')
        for ($i = 0; $i -lt $c.Rows.Count; $i++) {
            $row = $c.Rows[$i]
            $Lines.Add("| $($i + 1) | $(& $f $row.hybridTrimmedMs 4) | $(& $f $row.plainTrimmedMs 4) | $(& $f $row.hybridMbps 0) | $(& $f $row.plainMbps 0) | $(& $f $row.hybridBusyboxMs 3) | $(& $f $row.plainBusyboxMs 3) |")
        }

        $Lines.Add("| all rounds | $(& $f $c.Hybrid.TrimmedMs 4) | $(& $f $c.Plain.TrimmedMs 4) | $(& $f $c.Hybrid.Mbps 0) (median) | $(& $f $c.Plain.Mbps 0) (median) | $(& $f $c.Hybrid.BusyboxMs 3) (median) | $(& $f $c.Plain.BusyboxMs 3) (median) |")
        $Lines.Add('')
        $Lines.Add("Ratios hybrid / plain over all echoes: trimmed mean RTT $(& $f $d.LatencyRatio 3), median RTT $(& $f $d.MedianRatio 3) ($(& $f $c.Hybrid.MedianMs 4) ms against $(& $f $c.Plain.MedianMs 4) ms), mean RTT $(& $f $d.MeanRatio 3) ($(& $f $c.Hybrid.MeanMs 4) ms against $(& $f $c.Plain.MeanMs 4) ms), busybox mean RTT $(& $f $d.BusyboxRatio 3), throughput $(& $f $d.ThroughputRatio 3). Between rounds, the trimmed mean RTT of the hybrid path ranged from $($c.Hybrid.TrimmedSpread) ms and that of the plain path from $($c.Plain.TrimmedSpread) ms. Throughput ranged from $($c.Hybrid.MbpsSpread) Mbit/s (hybrid) and $($c.Plain.MbpsSpread) Mbit/s (plain). This spread within one path is the noise against which the 5 % target is judged.")
        $firewall = $c.Firewall
        $Lines.Add('')
        $Lines.Add("Firewall context: net.bridge.bridge-nf-call-iptables was $($firewall.BridgeNetfilter), so bridged IPv4 packets of both paths pass the filter table's FORWARD chain, which had $($firewall.Forward) rules, DOCKER-USER $($firewall.DockerUser) and DOCKER-ISOLATION-STAGE-1 $($firewall.Isolation). HybridNet accepts traffic between members of its bridge in its own chain, reached from DOCKER-USER and from FORWARD, while the plain network's packets are accepted by Docker's rules further down. Whether this explains a difference between the paths was not measured.")
        $cmdlet = $c.Cmdlet
        $Lines.Add('')
        $Lines.Add("``Measure-HybridPath -Count $EchoCount -Seconds $StreamSeconds`` on the hybrid pair, run once before the rounds: LatencyMinMs $(& $f $cmdlet.LatencyMinMs 3), LatencyAvgMs $(& $f $cmdlet.LatencyAvgMs 3), LatencyMaxMs $(& $f $cmdlet.LatencyMaxMs 3), ThroughputMbps $(& $f $cmdlet.ThroughputMbps 0), Seconds $(& $f $cmdlet.Seconds 3).")
        if ($d.VmRows.Count -gt 0) {
            $Lines.Add('')
            $Lines.Add("Container and VM: a lab guest (software-emulated QEMU, 1 vCPU) and a container on one hybrid bridge, against a container and a guest on two separate hybrid bridges in Routed mode that allow each other's subnet, so the host routes between them (the guest has a route to the container subnet through its gateway). Container to VM: ICMP echoes from the container's namespace. VM to container: ping -A inside the guest through the QEMU guest agent. Measure-HybridPath measures no throughput with a VM end and says so in Detail:")
            $Lines.Add('')
            $Lines.Add("> $($d.VmRows[0].HybridToVm.Detail)")
            $Lines.Add('')
            $Lines.Add('| Round | Container to VM, hybrid (ms) | Container to VM, routed (ms) | VM to container, hybrid (ms) | VM to container, routed (ms) |')
            $Lines.Add('| --- | --- | --- | --- | --- |')
            for ($i = 0; $i -lt $d.VmRows.Count; $i++) {
                $row = $d.VmRows[$i]
                $Lines.Add("| $($i + 1) | $(& $f $row.HybridToVm.LatencyAvgMs 3) | $(& $f $row.RoutedToVm.LatencyAvgMs 3) | $(& $f $row.HybridFromVm.LatencyAvgMs 3) | $(& $f $row.RoutedFromVm.LatencyAvgMs 3) |")
            }
        }
    }

    $Lines.Add('')
    $Lines.Add('## Reproduce')
    $Lines.Add('')
    $Lines.Add('```')
    $Lines.Add("dotnet tool restore && dotnet pwsh ./build.ps1 Bench")
    $Lines.Add('```')
    $Lines.Add('')
    $Lines.Add("Parameters of this run: AttachCount $AttachCount, ReachabilityCount $ReachabilityCount, Rounds $Rounds, ImportSamples $ImportSamples, DataPathRounds $DataPathRounds, EchoCount $EchoCount, StreamSeconds $StreamSeconds$(if ($SkipVm) { ', SkipVm' }).")
}

#endregion

if (-not (Wait-BenchDaemons)) {
    throw 'dockerd or libvirtd did not respond within 180 s. Start the lab with build.ps1 Bench or Start-HybridLabDaemon.'
}

$machine = Get-BenchMachine
$cpuBefore = Get-BenchCpuCounters
$sampler = Start-BenchForeignSampler
$results = [ordered]@{}
$failures = @()
$disturbed = [ordered]@{}
Write-Step "Benchmark run ${RunId}: removing leftovers of earlier runs"
foreach ($problem in @(Remove-BenchResources)) {
    Write-Warning "Leftover of an earlier run not removed: $problem"
}

$leftovers = @()
try {
    Initialize-BenchLab
    foreach ($benchmark in @(
            @{ Key = 'ModuleLoad'; Action = { Invoke-ModuleLoadBenchmark } }
            @{ Key = 'Attach'; Action = { Invoke-AttachBenchmark } }
            @{ Key = 'Reachability'; Action = { Invoke-ReachabilityBenchmark } }
            @{ Key = 'DataPath'; Action = { Invoke-DataPathBenchmark } }
        )) {
        if (-not (Wait-BenchDaemons)) {
            Write-Warning 'dockerd or libvirtd did not respond within 180 s.'
        }

        $daemonsBefore = Get-BenchDaemonIdentity
        try {
            $results[$benchmark.Key] = & $benchmark.Action
        }
        catch {
            $failures += "$($benchmark.Key): $($_.Exception.Message) ($($_.InvocationInfo.PositionMessage -replace '\s+', ' '))"
            Write-Warning "Benchmark $($benchmark.Key) failed: $_"
        }

        $daemonsAfter = Get-BenchDaemonIdentity
        if ($daemonsAfter -ne $daemonsBefore) {
            $disturbed[$benchmark.Key] = "daemons before: $daemonsBefore, after: $daemonsAfter"
            Write-Warning "A daemon was restarted by another process during benchmark $($benchmark.Key): $($disturbed[$benchmark.Key])"
        }
    }
}
catch {
    $failures += "lab set-up: $($_.Exception.Message)"
    Write-Warning "Lab set-up failed: $_"
}
finally {
    $cpuAfter = Get-BenchCpuCounters
    $others = Stop-BenchForeignSampler -Job $sampler
    $report = Get-ReportText -Machine $machine -CpuBefore $cpuBefore -CpuAfter $cpuAfter -Others $others -Results $results -Failures $failures -Disturbed $disturbed
    Set-Content -Path $OutputPath -Value $report -Encoding utf8NoBOM
    Write-Step "Report written to $OutputPath"
    Write-Step "Removing the resources of run $RunId"
    $leftovers = @(Remove-BenchResources -RunId $RunId)
    foreach ($problem in $leftovers) {
        Write-Warning "Not removed: $problem"
    }
}

if ($failures.Count -gt 0 -or $leftovers.Count -gt 0) {
    exit 1
}
