#Requires -Version 7.4
# The MAML help of the built module: every cmdlet is documented, and the committed help file
# agrees with docs/*.md and with the cmdlets' metadata.

BeforeDiscovery {
    $repoRoot = Split-Path -Parent $PSScriptRoot
    $modulePath = if ($env:HYBRIDNET_MODULE_PATH) {
        $env:HYBRIDNET_MODULE_PATH
    }
    else {
        Join-Path $repoRoot 'out/HybridNet/HybridNet.psd1'
    }

    $module = Import-Module $modulePath -PassThru -Force
    $common = [System.Management.Automation.PSCmdlet]::CommonParameters +
        [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
    $cmdletCases = foreach ($cmdlet in $module.ExportedCmdlets.Values | Sort-Object Name) {
        @{
            Name       = $cmdlet.Name
            Parameters = @($cmdlet.Parameters.Keys | Where-Object { $_ -notin $common } |
                    ForEach-Object { @{ Parameter = $_ } })
        }
    }
}

BeforeAll {
    $script:repoRoot = Split-Path -Parent $PSScriptRoot
    $script:modulePath = if ($env:HYBRIDNET_MODULE_PATH) {
        $env:HYBRIDNET_MODULE_PATH
    }
    else {
        Join-Path $repoRoot 'out/HybridNet/HybridNet.psd1'
    }

    $script:module = Import-Module $modulePath -PassThru -Force

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
}

Describe 'Help of <Name>' -Tag 'Unit', 'Help' -ForEach $cmdletCases {
    BeforeAll {
        $help = Get-Help -Name $Name -Full
        $helpParameters = @($help.parameters.parameter)
    }

    It 'comes from the MAML file' {
        # Without a help file, Get-Help makes up a synopsis from the syntax and has no description.
        $help.Synopsis.Trim() | Should -Not -BeLike "$Name *"
    }

    It 'has a synopsis' {
        $help.Synopsis.Trim() | Should -Not -BeNullOrEmpty
    }

    It 'has no placeholder synopsis' {
        $help.Synopsis | Should -Not -Match '\{\{'
    }

    It 'has a description' {
        ($help.description.Text -join '').Trim() | Should -Not -BeNullOrEmpty
    }

    It 'has at least two examples' {
        @($help.examples.example).Count | Should -BeGreaterOrEqual 2
    }

    It 'has code in every example' {
        foreach ($example in @($help.examples.example)) {
            $example.code.Trim() | Should -Not -BeNullOrEmpty -Because $example.title
        }
    }

    It 'documents -<Parameter>' -ForEach $Parameters {
        $documented = $helpParameters | Where-Object name -EQ $Parameter
        $documented | Should -Not -BeNullOrEmpty
        ($documented.description.Text -join '').Trim() | Should -Not -BeNullOrEmpty
    }

    It 'documents no parameter it lacks' {
        $actual = @($Parameters.Parameter)
        $extra = @($helpParameters.name | Where-Object { $_ -notin $actual })
        $extra | Should -BeNullOrEmpty
    }
}

Describe 'Help files' -Tag 'Unit', 'Help' {
    It 'agree with docs and cmdlets' {
        $generator = Join-Path $repoRoot 'tools/New-HybridNetHelp.ps1'
        $arguments = @(
            '-ModulePath', $modulePath
            '-DocsPath', (Join-Path $repoRoot 'docs')
            '-OutputPath', (Join-Path $repoRoot 'en-US/HybridNet.dll-Help.xml')
            '-Check'
        )
        $result = Invoke-FreshPwsh -File $generator -Arguments $arguments
        $result.ExitCode | Should -Be 0 -Because $result.Output
    }

    It 'ship in the module under test' {
        $shipped = Join-Path $module.ModuleBase 'en-US/HybridNet.dll-Help.xml'
        $committed = Join-Path $repoRoot 'en-US/HybridNet.dll-Help.xml'
        $shipped | Should -Exist
        (Get-FileHash $shipped).Hash | Should -Be (Get-FileHash $committed).Hash -Because 'the build copies en-US/ into the module'
    }

    It 'include about_HybridNet' {
        $about = Get-Help -Name about_HybridNet
        ($about | Out-String) | Should -Match 'about_HybridNet'
    }

    It 'name every cmdlet in about_HybridNet' {
        $about = Get-Content -Raw (Join-Path $repoRoot 'en-US/about_HybridNet.help.txt')
        $missing = @($module.ExportedCmdlets.Keys | Where-Object { $about -notmatch "\b$([regex]::Escape($_))\b" })
        $missing | Should -BeNullOrEmpty -Because 'the topic lists the cmdlets and refers to each in SEE ALSO'
    }

    It 'keep about_HybridNet within 80 columns' {
        $long = @(Get-Content (Join-Path $repoRoot 'en-US/about_HybridNet.help.txt') | Where-Object Length -gt 80)
        $long | Should -BeNullOrEmpty
    }
}
