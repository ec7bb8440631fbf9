#Requires -Version 7.4
<#
.SYNOPSIS
    Packs the built HybridNet module into a NuGet package in a local file repository.

.DESCRIPTION
    Checks the built manifest with Test-ModuleManifest, copies the top section of CHANGELOG.md
    into the built manifest's PrivateData.PSData.ReleaseNotes, registers a temporary, trusted
    PSResourceGet repository on the folder -RepositoryPath, publishes the module folder to it
    with Publish-PSResource, and unregisters the repository again, also after a failure. The
    result is <RepositoryPath>/HybridNet.<version>.nupkg, which the script writes as a FileInfo.

    The top section of CHANGELOG.md is the text under the first "## <version> ..." heading, up to
    the next "## " heading. Its version must equal the manifest's ModuleVersion (with the
    Prerelease label, when the manifest has one), so a package never carries the notes of
    another version.

    Only the copy in the module folder is changed, and HybridNet.psd1 in the repository keeps its
    placeholder. The module folder must contain LICENSE, which build.ps1 Build copies there.

    Run it in a fresh pwsh (build.ps1 Package does), so that no other copy of HybridNet or of
    PSResourceGet's state from an earlier run is loaded. The PowerShell Gallery is not contacted:
    the module has no RequiredModules, and the repository is a local folder.

.PARAMETER ModulePath
    Folder of the built module. Default: out/HybridNet in the repository.

.PARAMETER RepositoryPath
    Folder of the local repository that receives the package. Default: out/repo.

.PARAMETER ChangelogPath
    Changelog whose top section becomes the release notes. Default: CHANGELOG.md.

.EXAMPLE
    dotnet pwsh -NoProfile -File tools/New-HybridNetPackage.ps1

.EXAMPLE
    dotnet pwsh -NoProfile -File tools/New-HybridNetPackage.ps1 -ModulePath out/HybridNet -RepositoryPath /tmp/repo
#>
[CmdletBinding()]
[OutputType([System.IO.FileInfo])]
param(
    [string] $ModulePath,
    [string] $RepositoryPath,
    [string] $ChangelogPath
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$RepoRoot = Split-Path -Parent $PSScriptRoot
$ModuleName = 'HybridNet'

function Resolve-FullPath([string] $Path, [string] $Default) {
    if (-not $Path) {
        return $Default
    }

    return $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path)
}

# Returns the version and the body of the first "## <version> ..." section of a changelog.
function Read-ChangelogTopSection([string] $Path) {
    $lines = [System.IO.File]::ReadAllLines($Path)
    $start = -1
    for ($i = 0; $i -lt $lines.Count; $i++) {
        if ($lines[$i] -match '^## (?<version>\S+)') {
            $start = $i
            break
        }
    }

    if ($start -lt 0) {
        throw "$Path has no section heading of the form '## <version> ...'."
    }

    $version = $Matches.version
    $body = [System.Collections.Generic.List[string]]::new()
    for ($i = $start + 1; $i -lt $lines.Count -and $lines[$i] -notmatch '^## '; $i++) {
        $body.Add($lines[$i])
    }

    $notes = ($body -join "`n").Trim()
    if (-not $notes) {
        throw "The section '$($lines[$start])' of $Path is empty, so there are no release notes to ship."
    }

    return [pscustomobject]@{ Version = $version; Notes = $notes }
}

# Replaces the value of PrivateData.PSData.ReleaseNotes in a manifest file with a single-quoted
# string. The file is edited at the value's position in the parsed syntax tree, so comments and
# layout elsewhere stay as they are.
function Set-ManifestReleaseNote([string] $Path, [string] $Notes) {
    $tokens = $null
    $parseErrors = $null
    $ast = [System.Management.Automation.Language.Parser]::ParseFile($Path, [ref]$tokens, [ref]$parseErrors)
    if ($parseErrors) {
        throw "$Path cannot be parsed: $($parseErrors[0].Message)"
    }

    $keyName = { param($pair) "$($pair.Item1.Extent.Text)".Trim("'", '"') }
    $tables = @($ast.FindAll({ param($node) $node -is [System.Management.Automation.Language.HashtableAst] }, $true) |
            Where-Object { @($_.KeyValuePairs | Where-Object { (& $keyName $_) -eq 'ReleaseNotes' }).Count -gt 0 })
    if ($tables.Count -ne 1) {
        throw "$Path must have exactly one ReleaseNotes entry (in PrivateData.PSData), but has $($tables.Count)."
    }

    $pair = $tables[0].KeyValuePairs | Where-Object { (& $keyName $_) -eq 'ReleaseNotes' } | Select-Object -First 1
    $extent = $pair.Item2.Extent
    $text = [System.IO.File]::ReadAllText($Path)
    $literal = "'" + ($Notes -replace "'", "''") + "'"
    $updated = $text.Substring(0, $extent.StartOffset) + $literal + $text.Substring($extent.EndOffset)
    [System.IO.File]::WriteAllText($Path, $updated, [System.Text.UTF8Encoding]::new($false))
}

$ModulePath = Resolve-FullPath $ModulePath (Join-Path $RepoRoot "out/$ModuleName")
$RepositoryPath = Resolve-FullPath $RepositoryPath (Join-Path $RepoRoot 'out/repo')
$ChangelogPath = Resolve-FullPath $ChangelogPath (Join-Path $RepoRoot 'CHANGELOG.md')
$manifestPath = Join-Path $ModulePath "$ModuleName.psd1"

if (-not (Test-Path -LiteralPath $manifestPath)) {
    throw "$manifestPath does not exist. Build the module first: dotnet pwsh ./build.ps1 Build"
}

if (-not (Test-Path -LiteralPath (Join-Path $ModulePath 'LICENSE'))) {
    throw "$ModulePath has no LICENSE file. Build the module with build.ps1 Build, which copies " +
        'LICENSE from the repository root.'
}

$manifest = Test-ModuleManifest -Path $manifestPath
$prerelease = $manifest.PrivateData.PSData['Prerelease']
$version = if ($prerelease) { "$($manifest.Version)-$prerelease" } else { "$($manifest.Version)" }

$section = Read-ChangelogTopSection $ChangelogPath
if ($section.Version -ne $version) {
    throw "The top section of $ChangelogPath is for version $($section.Version), but the module is $version. " +
        'Add a section for this version at the top of the changelog.'
}

Set-ManifestReleaseNote -Path $manifestPath -Notes $section.Notes
$written = (Import-PowerShellDataFile -LiteralPath $manifestPath).PrivateData.PSData.ReleaseNotes
if (($written -replace "`r`n", "`n") -ne $section.Notes) {
    throw "The release notes read back from $manifestPath differ from the changelog section."
}

# A second check catches a manifest that the edit above broke.
$null = Test-ModuleManifest -Path $manifestPath

New-Item -ItemType Directory -Force -Path $RepositoryPath | Out-Null
$package = Join-Path $RepositoryPath "$ModuleName.$version.nupkg"
if (Test-Path -LiteralPath $package) {
    Remove-Item -LiteralPath $package
}

# The repository is registered under a unique name, so a parallel run or a repository the user
# registered is never touched, and it is always unregistered again.
$repositoryName = "HybridNetLocal$([guid]::NewGuid().ToString('N').Substring(0, 8))"
Register-PSResourceRepository -Name $repositoryName -Uri $RepositoryPath -Trusted
try {
    Publish-PSResource -Path $ModulePath -Repository $repositoryName
}
finally {
    Unregister-PSResourceRepository -Name $repositoryName
}

if (-not (Test-Path -LiteralPath $package)) {
    throw "Publish-PSResource reported no error, but $package was not written."
}

Write-Host "Package ready: $package"
Get-Item -LiteralPath $package
