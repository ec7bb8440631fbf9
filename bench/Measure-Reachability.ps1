#Requires -Version 7.4
<#
.SYNOPSIS
    Times Test-HybridConnectivity -ExcludeHost over the named members of a bridge in this pwsh
    process, and writes the times and the process's peak working set as one line of JSON.

.DESCRIPTION
    Invoke-HybridBenchmark.ps1 runs this in a fresh pwsh, so PeakWorkingSetBytes
    (Process.PeakWorkingSet64, VmHWM on Linux) covers only the module import, the endpoint
    lookup and the connectivity runs.

.PARAMETER Names
    Member names, separated by commas.
#>
param(
    [Parameter(Mandatory)][string] $ModulePath,
    [Parameter(Mandatory)][string] $Bridge,
    [Parameter(Mandatory)][string] $Names,
    [ValidateRange(1, 20)][int] $Runs = 3
)

$ErrorActionPreference = 'Stop'
Import-Module $ModulePath
$wanted = $Names -split ','
$endpoints = @(Get-HybridEndpoint -Bridge $Bridge | Where-Object Name -In $wanted)
if ($endpoints.Count -ne $wanted.Count) {
    throw "Bridge $Bridge has $($endpoints.Count) of the $($wanted.Count) named members."
}

$runResults = foreach ($run in 1..$Runs) {
    $stopwatch = [System.Diagnostics.Stopwatch]::StartNew()
    $results = @($endpoints | Test-HybridConnectivity -ExcludeHost)
    $seconds = $stopwatch.Elapsed.TotalSeconds
    $failed = @($results | Where-Object Status -NE 'Reachable')
    [ordered]@{
        Seconds   = $seconds
        Probes    = $results.Count
        Reachable = $results.Count - $failed.Count
        Failures  = @($failed | Select-Object -First 3 | ForEach-Object { "$($_.Source) -> $($_.Target): $($_.Status), $($_.Detail)" })
    }
}

$process = [System.Diagnostics.Process]::GetCurrentProcess()
$process.Refresh()
[ordered]@{
    Endpoints           = $endpoints.Count
    Runs                = @($runResults)
    PeakWorkingSetBytes = $process.PeakWorkingSet64
} | ConvertTo-Json -Compress -Depth 5
