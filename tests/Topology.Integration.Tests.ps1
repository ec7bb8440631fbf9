#Requires -Version 7.4
# Export-HybridTopology draws a real topology as Mermaid, DOT and SVG.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $script:labReady = (Test-DockerAvailable) -and (Test-LibvirtAvailable) -and [bool](Get-Command dot -ErrorAction SilentlyContinue)
}

Describe 'Topology pictures' -Tag 'Integration', 'Docker', 'Libvirt' -Skip:(-not $labReady) {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        Import-TestLab
        Import-Module (Get-TestModulePath) -Force
        New-HybridLabImage | Out-Null
        New-HybridLabGuestAsset | Out-Null

        $script:bridgeName = New-TestName
        $script:bridge = New-HybridBridge -Name $bridgeName -SubnetPool 10.250.0.0/16 -ErrorAction Stop
        $script:web = New-TestContainer -Name (New-TestName)
        $script:webEndpoint = $bridge | Connect-HybridContainer -Container $web -ErrorAction Stop
        # A shut-off guest: its NIC is in the definition only, so its link is drawn as down.
        $script:vm = New-TestName
        New-HybridLabVM -Name $vm | Out-Null
        $script:vmEndpoint = $bridge | Connect-HybridVM -Domain $vm -ErrorAction Stop
    }

    AfterAll {
        Get-HybridBridge -Name $bridgeName -ErrorAction SilentlyContinue | Remove-HybridBridge -Force -Confirm:$false
        Remove-HybridLabVM -Name $vm -ErrorAction SilentlyContinue
        & docker rm -f $web *> $null
    }

    It 'draws Mermaid with every member and address' {
        $text = Export-HybridTopology -Bridge $bridgeName
        $text | Should -Match '^flowchart LR'
        $text | Should -Match ([regex]::Escape($bridgeName))
        $text | Should -Match ([regex]::Escape($web))
        $text | Should -Match ([regex]::Escape($webEndpoint.IPAddress))
        $text | Should -Match ([regex]::Escape($vmEndpoint.IPAddress))
    }

    It 'marks a member whose link is down' {
        $text = Export-HybridTopology -Bridge $bridgeName -Format Dot
        ($text -split "`n" | Where-Object { $_ -match "vm_.* -- br_" }) | Should -Match 'style=dashed'
        ($text -split "`n" | Where-Object { $_ -match "ct_.* -- br_" }) | Should -Match 'style=solid'
    }

    It 'renders an SVG with Graphviz' {
        $path = Join-Path $TestDrive 'topology.svg'
        $file = Get-HybridBridge -Name $bridgeName | Export-HybridTopology -Format Svg -Path $path
        $file.FullName | Should -Be $path
        $svg = Get-Content -Raw $path
        $svg | Should -Match '<svg'
        $svg | Should -Match ([regex]::Escape($web))
        ([xml]$svg).svg | Should -Not -BeNullOrEmpty
    }

    It 'asks for a path when rendering SVG' {
        { Export-HybridTopology -Bridge $bridgeName -Format Svg -ErrorAction Stop } | Should -Throw -ExpectedMessage '*-Path*'
    }
}
