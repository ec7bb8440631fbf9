<#
.SYNOPSIS
    Runs the Pester suites under tests/ and writes their counts for build.ps1.

.DESCRIPTION
    Imports Pester 6.2.0 from the NuGet package cache (restored by tools/packages.csproj), runs
    every *.Tests.ps1, writes NUnit XML to <ResultsDirectory>/pester.xml and the counts to
    <ResultsDirectory>/pester-summary.json. Failed setup blocks and containers count as failures.
#>
param(
    [Parameter(Mandatory)][string] $ResultsDirectory,
    [string] $Tag = '',
    [string] $ExcludeTag = ''
)

$ErrorActionPreference = 'Stop'
$repoRoot = Split-Path -Parent $PSScriptRoot
$packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }
Import-Module (Join-Path $packages 'pester/6.2.0/tools/Pester.psd1') -Force

$configuration = New-PesterConfiguration
$configuration.Run.Path = Join-Path $repoRoot 'tests'
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
$configuration.TestResult.Enabled = $true
$configuration.TestResult.OutputFormat = 'NUnitXml'
$configuration.TestResult.OutputPath = Join-Path $ResultsDirectory 'pester.xml'
if ($Tag) {
    $configuration.Filter.Tag = $Tag -split ','
}

if ($ExcludeTag) {
    $configuration.Filter.ExcludeTag = $ExcludeTag -split ','
}

$result = Invoke-Pester -Configuration $configuration
$summary = [ordered]@{
    Passed  = $result.PassedCount
    Failed  = $result.FailedCount + $result.FailedBlocksCount + $result.FailedContainersCount
    Skipped = $result.SkippedCount
}
$summary | ConvertTo-Json | Set-Content -Path (Join-Path $ResultsDirectory 'pester-summary.json')
