#Requires -Version 7.4
# Names across VMs and containers: a VM resolves containers through the bridge's dnsmasq, a
# container resolves VMs through its hosts file and other containers through Docker's DNS.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $script:labReady = (Test-DockerAvailable) -and (Test-LibvirtAvailable)
}

Describe 'Names across members' -Tag 'Integration', 'Docker', 'Libvirt', 'Slow' -Skip:(-not $labReady) {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        Import-TestLab
        Import-Module (Get-TestModulePath) -Force
        New-HybridLabImage | Out-Null
        New-HybridLabGuestAsset | Out-Null

        function Resolve-InGuest {
            param([string] $Vm, [string] $Name)

            $result = Invoke-HybridLabGuestCommand -Name $Vm -Path nslookup -ArgumentList $Name -TimeoutSec 30
            if ($result.ExitCode -ne 0) {
                return $null
            }

            # busybox nslookup prints the server first, then "Name:" and the answer's "Address:".
            $answer = $result.StdOut -split "`n" | Select-String -Pattern '^Address:?\s+([0-9.]+)$' | Select-Object -Last 1
            return $answer ? $answer.Matches[0].Groups[1].Value : $null
        }

        # Both containers exist before the bridge does.
        $script:web = New-TestContainer -Name (New-TestName)
        $script:db = New-TestContainer -Name (New-TestName)
        $script:vm = New-TestName
        New-HybridLabVM -Name $vm -Start | Out-Null
        Wait-HybridLabGuestAgent -Name $vm -TimeoutSec 120 | Out-Null

        $script:bridgeName = New-TestName
        $script:domain = "$bridgeName.test"
        $script:bridge = New-HybridBridge -Name $bridgeName -SubnetPool 10.250.0.0/16 -Domain $domain -ErrorAction Stop
        $script:webEndpoint = $bridge | Connect-HybridContainer -Container $web -ErrorAction Stop
        $script:dbEndpoint = $bridge | Connect-HybridContainer -Container $db -ErrorAction Stop
        $script:vmEndpoint = $bridge | Connect-HybridVM -Domain $vm -ErrorAction Stop
        Get-HybridLabGuestAddress -Name $vm -InterfaceName eth0 -TimeoutSec 90 | Out-Null
    }

    AfterAll {
        Get-HybridBridge -Name $bridgeName -ErrorAction SilentlyContinue | Remove-HybridBridge -Force -Confirm:$false
        Remove-HybridLabVM -Name $vm -ErrorAction SilentlyContinue
        foreach ($name in $web, $db) {
            & docker rm -f $name *> $null
        }
    }

    It 'uses the requested DNS domain' {
        $bridge.Domain | Should -Be $domain
    }

    It 'gives the VM the bridge as resolver' {
        $resolv = (Invoke-HybridLabGuestCommand -Name $vm -Path cat -ArgumentList /etc/resolv.conf -TimeoutSec 30).StdOut
        $resolv | Should -Match "nameserver $([regex]::Escape($bridge.Gateway))"
        $resolv | Should -Not -Match 'nameserver 127\.'
    }

    It 'resolves a container short name in the VM' {
        Resolve-InGuest -Vm $vm -Name $web | Should -Be $webEndpoint.IPAddress
    }

    It 'resolves a container full name in the VM' {
        Resolve-InGuest -Vm $vm -Name "$web.$domain" | Should -Be $webEndpoint.IPAddress
    }

    It 'resolves the VM short name in a container' {
        Test-ContainerPing -Container $web -Address $vm | Should -BeTrue
    }

    It 'resolves the VM full name in a container' {
        Test-ContainerPing -Container $web -Address "$vm.$domain" | Should -BeTrue
    }

    It 'resolves another container by short name' {
        Test-ContainerPing -Container $web -Address $db | Should -BeTrue
    }

    It 'resolves another container by full name' {
        Test-ContainerPing -Container $web -Address "$db.$domain" | Should -BeTrue
    }

    It 'resolves the VM name at the bridge address' {
        # The host's own resolver is not changed (see about_HybridNet); dnsmasq answers at the
        # bridge address, here asked by a member's busybox nslookup.
        $lines = & docker exec $web nslookup "$vm.$domain" $bridge.Gateway
        $answer = $lines | Select-String -Pattern '^Address:?\s+([0-9.]+)$' | Select-Object -Last 1
        $answer.Matches[0].Groups[1].Value | Should -Be $vmEndpoint.IPAddress
    }

    It 'drops a disconnected container name' {
        Disconnect-HybridContainer -Bridge $bridgeName -Container $db -Confirm:$false -ErrorAction Stop
        Resolve-InGuest -Vm $vm -Name "$db.$domain" | Should -BeNullOrEmpty
        Test-ContainerPing -Container $web -Address "$db.$domain" | Should -BeFalse
        (& docker exec $db cat /etc/hosts) -join "`n" | Should -Not -Match "hybridnet $bridgeName"
    }
}
