#Requires -Version 7.4
<#
.SYNOPSIS
    Times Import-Module HybridNet and the first two Get-HybridBridge calls inside this pwsh
    process, and writes the times as one line of JSON.

.DESCRIPTION
    Invoke-HybridBenchmark.ps1 starts a fresh pwsh per sample, because a loaded binary module
    cannot be unloaded and a second import in the same process would read nothing from disk.
#>
param([Parameter(Mandatory)][string] $ModulePath)

$ErrorActionPreference = 'Stop'
$stopwatch = [System.Diagnostics.Stopwatch]::StartNew()
Import-Module $ModulePath
$importSeconds = $stopwatch.Elapsed.TotalSeconds

$stopwatch.Restart()
$bridges = @(Get-HybridBridge)
$firstSeconds = $stopwatch.Elapsed.TotalSeconds

$stopwatch.Restart()
$null = @(Get-HybridBridge)
$secondSeconds = $stopwatch.Elapsed.TotalSeconds

[ordered]@{
    ImportSeconds   = $importSeconds
    FirstGetSeconds = $firstSeconds
    SecondGetSeconds = $secondSeconds
    BridgeCount     = $bridges.Count
} | ConvertTo-Json -Compress
