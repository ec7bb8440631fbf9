#Requires -Version 7.4
# The built module's layout, manifest and dependency isolation.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $script:dockerReady = Test-DockerAvailable
}

Describe 'Built module' -Tag 'Unit' {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        $script:manifestPath = Get-TestModulePath
        $script:moduleRoot = Split-Path -Parent $manifestPath
        $script:manifest = Test-ModuleManifest -Path $manifestPath
        Import-Module $manifestPath -Force
    }

    It 'has a valid manifest for PowerShell 7.4' {
        $manifest.PowerShellVersion | Should -Be '7.4'
        $manifest.CompatiblePSEditions | Should -Be @('Core')
    }

    It 'exports exactly the manifest cmdlets' {
        $exported = (Get-Command -Module HybridNet).Name | Sort-Object
        $exported | Should -Be ($manifest.ExportedCmdlets.Keys | Sort-Object)
    }

    It 'uses only approved verbs' {
        $approved = (Get-Verb).Verb
        (Get-Command -Module HybridNet).Verb | Where-Object { $_ -notin $approved } | Should -BeNullOrEmpty
    }

    It 'keeps third-party assemblies out of the root' {
        (Get-ChildItem $moduleRoot -Filter *.dll).Name | Should -Be @('HybridNet.dll')
        $dependencies = (Get-ChildItem (Join-Path $moduleRoot 'dependencies') -Filter *.dll).Name
        $dependencies | Should -Contain 'Docker.DotNet.dll'
        $dependencies | Should -Contain 'CliWrap.dll'
        $dependencies | Should -Contain 'Newtonsoft.Json.dll'
    }

    It 'references no third-party assembly directly' {
        $assembly = [System.Reflection.Assembly]::LoadFile((Join-Path $moduleRoot 'HybridNet.dll'))
        $names = $assembly.GetReferencedAssemblies().Name
        $names | Where-Object { $_ -in 'Docker.DotNet', 'CliWrap', 'Newtonsoft.Json' } | Should -BeNullOrEmpty
    }

    It 'declares SupportsShouldProcess on every changing cmdlet' {
        foreach ($name in 'New-HybridBridge', 'Remove-HybridBridge', 'Connect-HybridVM', 'Disconnect-HybridVM',
            'Connect-HybridContainer', 'Disconnect-HybridContainer') {
            (Get-Command $name).Parameters.Keys | Should -Contain 'WhatIf' -Because $name
        }
    }
}

Describe 'Dependency isolation' -Tag 'Integration', 'Docker' -Skip:(-not $dockerReady) {
    It 'works after another Docker.DotNet is loaded' {
        $packages = if ($env:NUGET_PACKAGES) { $env:NUGET_PACKAGES } else { Join-Path $HOME '.nuget/packages' }
        $foreign = Join-Path $packages 'docker.dotnet.enhanced/4.4.1/lib/net8.0/Docker.DotNet.dll'
        $foreign | Should -Exist
        $script = @'
param($Foreign, $Module)
$ErrorActionPreference = 'Stop'
$loaded = [System.Reflection.Assembly]::LoadFrom($Foreign)
Import-Module $Module
Connect-HybridContainer -Bridge hntnosuchbr -Container hntnosuch -ErrorAction SilentlyContinue -ErrorVariable failure
$copies = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'Docker.DotNet' }
$json = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'Newtonsoft.Json' }
[pscustomobject]@{
    JsonContexts = @($json | ForEach-Object { [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_).Name } | Sort-Object)
    ErrorId  = $failure[0].FullyQualifiedErrorId
    Versions = @($copies | ForEach-Object { $_.GetName().Version.ToString() } | Sort-Object)
    Contexts = @($copies | ForEach-Object { [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_).Name } | Sort-Object)
} | ConvertTo-Json -Compress
'@
        $file = Join-Path $TestDrive 'isolation.ps1'
        Set-Content -Path $file -Value $script
        $pwsh = [System.Environment]::GetCommandLineArgs()[0]
        $output = if ($pwsh -like '*.dll') {
            & dotnet $pwsh -NoProfile -NonInteractive -File $file $foreign (Get-TestModulePath)
        }
        else {
            & $pwsh -NoProfile -NonInteractive -File $file $foreign (Get-TestModulePath)
        }

        $result = $output | Select-Object -Last 1 | ConvertFrom-Json
        $script:isolation = $result
        # BridgeNotFound comes after a successful Docker ping, so HybridNet's own Docker.DotNet ran.
        $result.ErrorId | Should -BeLike 'BridgeNotFound,*'
        $result.Versions.Count | Should -Be 2
        $result.Contexts | Should -Contain 'HybridNet'
    }

    It 'keeps its Newtonsoft.Json out of the default context' {
        # pwsh loads its own Newtonsoft.Json into the default context; HybridNet's copy must live
        # only in its own context, so neither can break the other.
        $result = $script:isolation
        @($result.JsonContexts | Where-Object { $_ -eq 'Default' }).Count | Should -BeLessOrEqual 1
        $result.JsonContexts | Should -Contain 'HybridNet'
    }
}
