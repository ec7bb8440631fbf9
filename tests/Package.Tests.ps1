#Requires -Version 7.4
# The package that build.ps1 Package makes: it installs from a local PSResourceGet repository
# into an empty module folder, imports by name in a fresh pwsh, and its engine loads.

BeforeAll {
    $script:repoRoot = Split-Path -Parent $PSScriptRoot
    $script:moduleDir = if ($env:HYBRIDNET_MODULE_PATH) {
        Split-Path -Parent $env:HYBRIDNET_MODULE_PATH
    }
    else {
        Join-Path $repoRoot 'out/HybridNet'
    }

    $builtManifest = Import-PowerShellDataFile (Join-Path $moduleDir 'HybridNet.psd1')
    $prerelease = $builtManifest.PrivateData.PSData['Prerelease']
    $script:version = $builtManifest.ModuleVersion
    if ($prerelease) {
        $script:version = "$version-$prerelease"
    }

    $script:repository = Join-Path $repoRoot 'out/repo'
    $script:package = Join-Path $repository "HybridNet.$version.nupkg"

    # Runs a script in a new pwsh, because a loaded binary module cannot be unloaded. Under
    # `dotnet pwsh` the first command-line argument is pwsh.dll, which dotnet has to start.
    function Invoke-FreshPwsh {
        param([string] $File, [string[]] $Arguments)

        $pwsh = [System.Environment]::GetCommandLineArgs()[0]
        $output = if ($pwsh -like '*.dll') {
            & dotnet $pwsh -NoProfile -NonInteractive -File $File @Arguments 2>&1
        }
        else {
            & $pwsh -NoProfile -NonInteractive -File $File @Arguments 2>&1
        }

        return [pscustomobject]@{
            ExitCode = $LASTEXITCODE
            Output   = ($output | ForEach-Object { "$_" }) -join "`n"
        }
    }

    # The package is built again unless one at least as new as the built module is present.
    $script:packageBuild = $null
    $builtDll = Get-Item (Join-Path $moduleDir 'HybridNet.dll')
    if (-not (Test-Path $package) -or (Get-Item $package).LastWriteTimeUtc -lt $builtDll.LastWriteTimeUtc) {
        $packageTool = Join-Path $repoRoot 'tools/New-HybridNetPackage.ps1'
        $script:packageBuild = Invoke-FreshPwsh -File $packageTool -Arguments @(
            '-ModulePath', $moduleDir, '-RepositoryPath', $repository)
    }

    # The installing process gets an empty module folder and its own PSResourceGet settings:
    # PSResourceGet keeps its repository list under $XDG_DATA_HOME/PSResourceGet when that folder
    # exists, so the test never registers a repository in the user's list.
    $script:installRoot = Join-Path $TestDrive 'modules'
    $dataHome = Join-Path $TestDrive 'data'
    New-Item -ItemType Directory -Force -Path $installRoot, $dataHome | Out-Null
    $child = Join-Path $TestDrive 'Install-HybridNet.ps1'
    Set-Content -Path $child -Value @'
param([string] $Repository, [string] $InstallRoot)
$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name HybridNetPackageTest -Uri $Repository -Trusted
try {
    # Install-PSResource (PSResourceGet 1.2.1) installs only into the CurrentUser or AllUsers
    # scope, so Save-PSResource -Path installs into the given folder instead.
    $saved = Save-PSResource -Name HybridNet -Repository HybridNetPackageTest -TrustRepository `
        -Path $InstallRoot -IncludeXml -PassThru -Quiet
}
finally {
    Unregister-PSResourceRepository -Name HybridNetPackageTest
}

$env:PSModulePath = $InstallRoot + [System.IO.Path]::PathSeparator + (Join-Path $PSHOME 'Modules')
Import-Module HybridNet
$module = Get-Module HybridNet
$commands = @(Get-Command -Module HybridNet | ForEach-Object Name)
Get-HybridBridge -Name hntnosuch -ErrorAction SilentlyContinue -ErrorVariable bridgeErrors | Out-Null
[pscustomobject]@{
    SavedVersion = "$($saved.Version)"
    ModuleBase   = $module.ModuleBase
    Commands     = $commands
    ErrorId      = if ($bridgeErrors.Count -gt 0) { $bridgeErrors[0].FullyQualifiedErrorId } else { $null }
} | ConvertTo-Json -Compress
'@

    $previousDataHome = $env:XDG_DATA_HOME
    $env:XDG_DATA_HOME = $dataHome
    try {
        $installArguments = @('-Repository', $repository, '-InstallRoot', $installRoot)
        $script:install = Invoke-FreshPwsh -File $child -Arguments $installArguments
    }
    finally {
        $env:XDG_DATA_HOME = $previousDataHome
    }

    $script:installed = $null
    $json = ($install.Output -split "`n" | Where-Object { $_ -like '{*' } | Select-Object -Last 1)
    if ($json) {
        $script:installed = $json | ConvertFrom-Json
    }

    $installedManifestPath = Join-Path $installRoot "HybridNet/$($builtManifest.ModuleVersion)/HybridNet.psd1"
    $script:installedManifest = $null
    if (Test-Path $installedManifestPath) {
        $script:installedManifest = Import-PowerShellDataFile $installedManifestPath
    }

    $script:repositoryManifest = Import-PowerShellDataFile (Join-Path $repoRoot 'HybridNet.psd1')

    # The top section of CHANGELOG.md, as tools/New-HybridNetPackage.ps1 reads it.
    $changelog = Get-Content (Join-Path $repoRoot 'CHANGELOG.md')
    $isHeading = [Predicate[string]] { param($line) $line -match '^## ' }
    $start = [array]::FindIndex([string[]]$changelog, $isHeading)
    $end = [array]::FindIndex([string[]]$changelog, $start + 1, $isHeading)
    if ($end -lt 0) {
        $end = $changelog.Count
    }

    $script:topSection = ($changelog[($start + 1)..($end - 1)] -join "`n").Trim()
}

Describe 'HybridNet package' -Tag 'Unit', 'Package' {
    It 'is built' {
        if ($packageBuild) {
            $packageBuild.ExitCode | Should -Be 0 -Because $packageBuild.Output
        }

        $package | Should -Exist
    }

    It 'installs into an empty module folder' {
        $install.ExitCode | Should -Be 0 -Because $install.Output
        $installed | Should -Not -BeNullOrEmpty -Because $install.Output
        $installed.SavedVersion | Should -Be $builtManifest.ModuleVersion
    }

    It 'imports by name from that folder' {
        $installed.ModuleBase | Should -BeLike "$installRoot*"
    }

    It 'exports every cmdlet of the manifest' {
        @($installed.Commands | Sort-Object) | Should -Be @($repositoryManifest.CmdletsToExport | Sort-Object)
    }

    It 'loads its engine' {
        # BridgeNotFound comes from the engine assembly in dependencies/, so the load context works.
        $installed.ErrorId | Should -Be 'BridgeNotFound,HybridNet.Commands.GetHybridBridgeCommand'
    }

    It 'ships the licence' {
        Join-Path $installRoot "HybridNet/$($builtManifest.ModuleVersion)/LICENSE" | Should -Exist
    }

    It 'ships the help' {
        Join-Path $installRoot "HybridNet/$($builtManifest.ModuleVersion)/en-US/HybridNet.dll-Help.xml" | Should -Exist
    }
}

Describe 'Installed manifest' -Tag 'Unit', 'Package' {
    BeforeAll {
        $psData = $installedManifest.PrivateData.PSData
    }

    It 'is installed' {
        $installedManifest | Should -Not -BeNullOrEmpty
    }

    It 'has tag <_>' -ForEach 'Linux', 'PSEdition_Core' {
        $psData.Tags | Should -Contain $_
    }

    It 'has a ProjectUri' {
        $psData.ProjectUri | Should -Match '^https://'
    }

    It 'has a LicenseUri' {
        $psData.LicenseUri | Should -Match '^https://'
    }

    It 'has the changelog as ReleaseNotes' {
        ($psData.ReleaseNotes -replace "`r`n", "`n") | Should -Be $topSection
    }

    It 'lists CmdletsToExport explicitly' {
        $installedManifest.CmdletsToExport | Should -Not -Contain '*'
        @($installedManifest.CmdletsToExport).Count | Should -BeGreaterThan 0
    }

    It 'lists FormatsToProcess' {
        $installedManifest.FormatsToProcess | Should -Contain 'HybridNet.Format.ps1xml'
    }
}
