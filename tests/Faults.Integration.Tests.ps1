#Requires -Version 7.4
# Faults the daemons and the kernel throw at a running hybrid bridge. Afterwards members are
# attached with the same addresses and reach each other: on their own where the daemons restore
# state, otherwise after one Repair-HybridBridge.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $script:labReady = (Test-DockerAvailable) -and (Test-LibvirtAvailable) -and
        (Test-Path /var/run/docker.pid) -and (Test-Path /run/libvirtd.pid)
}

Describe 'Faults survived' -Tag 'Integration', 'Docker', 'Libvirt', 'Slow', 'Faults' -Skip:(-not $labReady) {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        Import-TestLab
        Import-Module (Get-TestModulePath) -Force
        New-HybridLabImage | Out-Null
        New-HybridLabGuestAsset | Out-Null

        function Get-Addresses {
            Get-HybridEndpoint -Bridge $bridgeName | Sort-Object Name | ForEach-Object { "$($_.Name)=$($_.IPAddress)" }
        }

        function Test-AllReachable {
            $results = @(Test-HybridConnectivity -Bridge $bridgeName)
            $failed = $results | Where-Object Status -ne 'Reachable' | ForEach-Object { "$($_.Source)->$($_.Target): $($_.Detail)" }
            return [pscustomobject]@{ Count = $results.Count; Failed = @($failed) }
        }

        $script:bridgeName = New-TestName
        $script:bridge = New-HybridBridge -Name $bridgeName -SubnetPool 10.250.0.0/16 -ErrorAction Stop
        $script:web = New-TestContainer -Name (New-TestName)
        $script:db = New-TestContainer -Name (New-TestName)
        $script:vm = New-TestName
        New-HybridLabVM -Name $vm -Start | Out-Null
        Wait-HybridLabGuestAgent -Name $vm -TimeoutSec 120 | Out-Null
        $bridge | Connect-HybridContainer -Container $web -ErrorAction Stop | Out-Null
        $bridge | Connect-HybridContainer -Container $db -IPAddress ($bridge.Gateway -replace '\.1$', '.40') -ErrorAction Stop | Out-Null
        $bridge | Connect-HybridVM -Domain $vm -ErrorAction Stop | Out-Null
        Get-HybridLabGuestAddress -Name $vm -InterfaceName eth0 -TimeoutSec 90 | Out-Null
        $script:addresses = Get-Addresses
    }

    AfterAll {
        Start-HybridLabDaemon | Out-Null
        Get-HybridBridge -Name $bridgeName -ErrorAction SilentlyContinue | Remove-HybridBridge -Force -Confirm:$false
        Remove-HybridLabVM -Name $vm -ErrorAction SilentlyContinue
        foreach ($name in $web, $db) {
            & docker rm -f $name *> $null
        }
    }

    It 'starts with every pair reachable' {
        $result = Test-AllReachable
        $result.Count | Should -Be 9
        $result.Failed | Should -BeNullOrEmpty
    }

    It 'keeps the bridge address while dockerd is stopped' {
        Stop-TestDaemon -PidFile /var/run/docker.pid
        try {
            $addresses = (& ip -j -4 addr show dev $bridgeName | ConvertFrom-Json).addr_info.local
            $addresses | Should -Contain $bridge.Gateway
            (& ip -j -4 route show dev $bridgeName | ConvertFrom-Json).dst | Should -Contain $bridge.Subnet
            $reply = Invoke-HybridLabGuestCommand -Name $vm -Path ping -ArgumentList '-c', '1', '-W', '2', $bridge.Gateway -TimeoutSec 30
            $reply.ExitCode | Should -Be 0
        }
        finally {
            Start-HybridLabDaemon | Out-Null
        }
    }

    It 'recovers on its own after dockerd restarts' {
        # Containers with a restart policy come back; Docker keeps DOCKER-USER and its networks.
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        while (@(Get-HybridEndpoint -Bridge $bridgeName -Kind Container | Where-Object Running).Count -lt 2 -and [DateTime]::UtcNow -lt $deadline) {
            Start-Sleep -Milliseconds 500
        }

        Get-Addresses | Should -Be $addresses
        (Test-AllReachable).Failed | Should -BeNullOrEmpty
        (& iptables -S DOCKER-USER) -join "`n" | Should -Match "hybridnet:$bridgeName"
    }

    It 'recovers on its own after libvirtd restarts' {
        Stop-TestDaemon -PidFile /run/libvirtd.pid
        Start-HybridLabDaemon | Out-Null
        Get-Addresses | Should -Be $addresses
        (Test-AllReachable).Failed | Should -BeNullOrEmpty
    }

    It 'reports a deleted bridge device' {
        & ip link delete $bridgeName
        $state = Get-HybridBridge -Name $bridgeName
        $state.State | Should -Be 'Degraded'
        $state.Problems -join "`n" | Should -Match 'bridge device .* is missing'
    }

    It 'repairs a deleted bridge device in one call' {
        $changes = @(Repair-HybridBridge -Name $bridgeName -Confirm:$false -ErrorAction Stop)
        $changes.Count | Should -BeGreaterThan 0
        ($changes.Action -join "`n") | Should -Match 'Plug VM'
        ($changes.Action -join "`n") | Should -Match 'Plug Container'
        (Get-HybridBridge -Name $bridgeName).State | Should -Be 'Active'
        Get-Addresses | Should -Be $addresses
        (Test-AllReachable).Failed | Should -BeNullOrEmpty
    }

    It 'repairs a flushed firewall chain' {
        & iptables -F "HYBRIDNET-$bridgeName"
        (Get-HybridBridge -Name $bridgeName).Problems -join "`n" | Should -Match 'firewall'
        $changes = @(Repair-HybridBridge -Name $bridgeName -Confirm:$false -ErrorAction Stop)
        ($changes.Action -join "`n") | Should -Match 'firewall'
        (Get-HybridBridge -Name $bridgeName).Problems | Should -BeNullOrEmpty
    }

    It 'restores names lost in a container restart' {
        & docker restart -t 1 $web | Out-Null
        (& docker exec $web cat /etc/hosts) -join "`n" | Should -Not -Match "hybridnet $bridgeName"
        (Get-HybridBridge -Name $bridgeName).Problems -join "`n" | Should -Match 'DNS entry'
        Repair-HybridBridge -Name $bridgeName -Confirm:$false -ErrorAction Stop | Out-Null
        Test-ContainerPing -Container $web -Address $vm | Should -BeTrue
    }

    It 'repairs a bridge Docker re-created first' {
        # The libvirt network goes down, then dockerd starts and re-creates the bridge of its
        # network on its own; libvirt cannot start on a bridge it did not create.
        & virsh -q -c qemu:///system net-destroy $bridgeName | Out-Null
        Stop-TestDaemon -PidFile /var/run/docker.pid
        Start-HybridLabDaemon | Out-Null
        (Get-HybridBridge -Name $bridgeName).State | Should -Not -Be 'Active'
        $changes = @(Repair-HybridBridge -Name $bridgeName -Confirm:$false -ErrorAction Stop)
        ($changes.Action -join "`n") | Should -Match 'Delete bridge'
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        while (@(Get-HybridEndpoint -Bridge $bridgeName -Kind Container | Where-Object Running).Count -lt 2 -and [DateTime]::UtcNow -lt $deadline) {
            Start-Sleep -Milliseconds 500
        }

        (Get-HybridBridge -Name $bridgeName).State | Should -Be 'Active'
        Get-Addresses | Should -Be $addresses
        (Test-AllReachable).Failed | Should -BeNullOrEmpty
    }

    It 'needs no repair when nothing drifted' {
        @(Repair-HybridBridge -Name $bridgeName -Confirm:$false -ErrorAction Stop).Count | Should -Be 0
    }
}
