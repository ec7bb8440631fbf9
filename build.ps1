#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests, demonstrates and cleans the HybridNet module.

.DESCRIPTION
    Tasks:
      Build    Compiles the module into out/HybridNet (HybridNet.dll at the root, the engine and
               third-party libraries in out/HybridNet/dependencies).
      Help     Build, then regenerate en-US/HybridNet.dll-Help.xml from docs/*.md and the built
               cmdlets (tools/New-HybridNetHelp.ps1) and copy en-US into out/HybridNet/en-US.
      Package  Build, check that the help matches docs/*.md and the cmdlets, then pack
               out/HybridNet into out/repo/HybridNet.<version>.nupkg
               (tools/New-HybridNetPackage.ps1).
      Test     Build, then install and start the test lab (Docker, libvirt, QEMU), then run the
               xunit unit tests and the Pester suites, and print one summary line.
      Bench    Build, then install and start the lab as Test does, then run
               bench/Invoke-HybridBenchmark.ps1 in a fresh pwsh, which writes bench/RESULTS.md.
      Demo     Build, then create a hybrid bridge, a demo container and a demo VM, connect both,
               print the connectivity table and remove everything again (unless -Keep).
      Clean    Deletes out/ and every bin/ and obj/ folder.
    Run it as root on Debian: the Test, Bench and Demo tasks install missing packages with apt-get.

.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 Demo

.EXAMPLE
    dotnet pwsh ./build.ps1 Test -Tag Unit

.EXAMPLE
    dotnet pwsh ./build.ps1 Package
#>
[CmdletBinding()]
param(
    [Parameter(Position = 0)]
    [ValidateSet('Build', 'Help', 'Test', 'Package', 'Bench', 'Demo', 'Clean')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Release',

    # Demo: leave the demo bridge, container and VM in place.
    [switch] $Keep,

    # Test: run only Pester tests with these tags (Unit, Integration, ...). All when empty.
    [string[]] $Tag = @(),

    # Test: leave out Pester tests with these tags.
    [string[]] $ExcludeTag = @(),

    # Test: skip the xunit project.
    [switch] $SkipUnit
)

$ErrorActionPreference = 'Stop'
$PSNativeCommandUseErrorActionPreference = $true
Set-StrictMode -Version Latest

$RepoRoot = $PSScriptRoot
$OutDir = Join-Path $RepoRoot 'out'
$ModuleOut = Join-Path $OutDir 'HybridNet'
$ResultsDir = Join-Path $OutDir 'test-results'

function Get-ModuleVersion {
    $props = [xml](Get-Content -Raw (Join-Path $RepoRoot 'Directory.Build.props'))
    return $props.Project.PropertyGroup.VersionPrefix
}

function Invoke-Build {
    $version = Get-ModuleVersion
    Write-Host "Building HybridNet $version ($Configuration)"
    if (Test-Path $ModuleOut) {
        Remove-Item -Recurse -Force $ModuleOut
    }

    $dependencies = Join-Path $ModuleOut 'dependencies'
    $stage = Join-Path $OutDir 'stage'
    & dotnet publish (Join-Path $RepoRoot 'src/HybridNet.Engine/HybridNet.Engine.csproj') -c $Configuration `
        -o (Join-Path $stage 'engine') --nologo -v quiet
    & dotnet build (Join-Path $RepoRoot 'src/HybridNet/HybridNet.csproj') -c $Configuration `
        -o (Join-Path $stage 'module') --nologo -v quiet

    New-Item -ItemType Directory -Force -Path $dependencies | Out-Null
    Get-ChildItem (Join-Path $stage 'engine') -Filter '*.dll' | Copy-Item -Destination $dependencies

    # Only the cmdlet assembly sits at the module root; a third-party DLL there would be found
    # by default probing and defeat the module's own AssemblyLoadContext.
    foreach ($file in 'HybridNet.dll', 'HybridNet.pdb') {
        Copy-Item (Join-Path $stage "module/$file") $ModuleOut
    }

    Copy-Item (Join-Path $RepoRoot 'src/HybridNet/HybridNet.Format.ps1xml') $ModuleOut
    $manifest = Get-Content -Raw (Join-Path $RepoRoot 'HybridNet.psd1')
    $manifest = $manifest -replace "ModuleVersion\s*=\s*'[^']*'", "ModuleVersion        = '$version'"
    Set-Content -Path (Join-Path $ModuleOut 'HybridNet.psd1') -Value $manifest -NoNewline

    $helpSource = Join-Path $RepoRoot 'en-US'
    if (Test-Path $helpSource) {
        Copy-Item -Recurse $helpSource $ModuleOut
    }

    # The package ships the licence that the manifest's LicenseUri points to.
    Copy-Item (Join-Path $RepoRoot 'LICENSE') $ModuleOut

    $stray = Get-ChildItem $ModuleOut -Filter '*.dll' | Where-Object Name -ne 'HybridNet.dll'
    if ($stray) {
        throw "Build layout error: third-party assemblies at the module root: $($stray.Name -join ', ')"
    }

    Write-Host "Module ready: $ModuleOut"
}

# Runs a script in a new pwsh: a binary module cannot be unloaded, so a script that imports
# out/HybridNet must not share this process, which may have loaded an older build.
function Invoke-FreshPwsh {
    param([string] $Script, [string[]] $Arguments = @())

    & dotnet pwsh -NoProfile -NonInteractive -File (Join-Path $RepoRoot $Script) @Arguments
}

function Invoke-Help {
    Invoke-Build
    Invoke-FreshPwsh 'tools/New-HybridNetHelp.ps1' @('-ModulePath', (Join-Path $ModuleOut 'HybridNet.psd1'))
    $moduleHelp = Join-Path $ModuleOut 'en-US'
    New-Item -ItemType Directory -Force -Path $moduleHelp | Out-Null
    Copy-Item -Path (Join-Path $RepoRoot 'en-US/*') -Destination $moduleHelp -Force
    Write-Host "Help ready: $moduleHelp"
}

function Invoke-Package {
    Invoke-Build
    # A package must not ship help that disagrees with its cmdlets; the Help task fixes that.
    Invoke-FreshPwsh 'tools/New-HybridNetHelp.ps1' @('-ModulePath', (Join-Path $ModuleOut 'HybridNet.psd1'), '-Check')
    Invoke-FreshPwsh 'tools/New-HybridNetPackage.ps1' @('-ModulePath', $ModuleOut, '-RepositoryPath', (Join-Path $OutDir 'repo'))
}

function Initialize-Lab {
    Import-Module (Join-Path $RepoRoot 'tools/HybridLab.psm1') -Force
    Install-HybridLabPrerequisite
    Start-HybridLabDaemon
}

function Invoke-UnitTests {
    $trx = Join-Path $ResultsDir 'xunit.trx'
    if (Test-Path $trx) {
        Remove-Item $trx
    }

    & dotnet test (Join-Path $RepoRoot 'tests/HybridNet.Tests/HybridNet.Tests.csproj') -c $Configuration --nologo `
        --logger "trx;LogFileName=$trx" --results-directory $ResultsDir -v quiet 2>&1 | Out-Host
    $failed = $LASTEXITCODE -ne 0
    if (-not (Test-Path $trx)) {
        # A build or runner failure leaves no results; count it as one failure, never as zero tests.
        return [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 }
    }

    $counters = ([xml](Get-Content -Raw $trx)).TestRun.ResultSummary.Counters
    $result = [pscustomobject]@{
        Passed  = [int]$counters.passed
        Failed  = [int]$counters.failed + [int]$counters.error + [int]$counters.timeout + [int]$counters.aborted
        Skipped = [int]$counters.notExecuted
    }
    if ($failed -and $result.Failed -eq 0) {
        $result.Failed = 1
    }

    return $result
}

function Invoke-PesterTests {
    $summary = Join-Path $ResultsDir 'pester-summary.json'
    if (Test-Path $summary) {
        Remove-Item $summary
    }

    # Pester runs in a fresh pwsh: a loaded binary module cannot be unloaded, and a test that
    # imports out/HybridNet must see the DLL just built.
    $arguments = @('pwsh', '-NoProfile', '-NonInteractive', '-File', (Join-Path $RepoRoot 'tools/Invoke-PesterSuite.ps1'),
        '-ResultsDirectory', $ResultsDir)
    if ($Tag.Count -gt 0) {
        $arguments += @('-Tag', ($Tag -join ','))
    }

    if ($ExcludeTag.Count -gt 0) {
        $arguments += @('-ExcludeTag', ($ExcludeTag -join ','))
    }

    & dotnet @arguments 2>&1 | Out-Host
    if (-not (Test-Path $summary)) {
        return [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 }
    }

    return Get-Content -Raw $summary | ConvertFrom-Json
}

function Invoke-Test {
    Invoke-Build
    New-Item -ItemType Directory -Force -Path $ResultsDir | Out-Null
    & dotnet restore (Join-Path $RepoRoot 'tools/packages.csproj') --nologo -v quiet
    Initialize-Lab

    $unit = if ($SkipUnit) { [pscustomobject]@{ Passed = 0; Failed = 0; Skipped = 0 } } else { Invoke-UnitTests }
    $pester = Invoke-PesterTests
    Write-Host "xunit: $($unit.Passed) passed, $($unit.Failed) failed, $($unit.Skipped) skipped"
    Write-Host "pester: $($pester.Passed) passed, $($pester.Failed) failed, $($pester.Skipped) skipped"
    $passed = $unit.Passed + $pester.Passed
    $failedCount = $unit.Failed + $pester.Failed
    $skipped = $unit.Skipped + $pester.Skipped
    Write-Host "$passed passed, $failedCount failed, $skipped skipped"
    if ($failedCount -gt 0) {
        exit 1
    }
}

function Invoke-Bench {
    Invoke-Build
    Initialize-Lab
    Invoke-FreshPwsh 'bench/Invoke-HybridBenchmark.ps1' @(
        '-ModulePath', (Join-Path $ModuleOut 'HybridNet.psd1'),
        '-OutputPath', (Join-Path $RepoRoot 'bench/RESULTS.md'))
}

function Invoke-Demo {
    Invoke-Build
    Initialize-Lab
    $arguments = @('pwsh', '-NoProfile', '-NonInteractive', '-File', (Join-Path $RepoRoot 'examples/Start-HybridDemo.ps1'))
    if ($Keep) {
        $arguments += '-Keep'
    }

    & dotnet @arguments
}

function Invoke-Clean {
    foreach ($path in @($OutDir) + (Get-ChildItem -Path (Join-Path $RepoRoot 'src'), (Join-Path $RepoRoot 'tests'), (Join-Path $RepoRoot 'tools') -Recurse -Directory -Include 'bin', 'obj').FullName) {
        if ($path -and (Test-Path $path)) {
            Remove-Item -Recurse -Force $path
        }
    }
}

Push-Location $RepoRoot
try {
    switch ($Task) {
        'Build' { Invoke-Build }
        'Help' { Invoke-Help }
        'Test' { Invoke-Test }
        'Package' { Invoke-Package }
        'Bench' { Invoke-Bench }
        'Demo' { Invoke-Demo }
        'Clean' { Invoke-Clean }
    }
}
finally {
    Pop-Location
}
