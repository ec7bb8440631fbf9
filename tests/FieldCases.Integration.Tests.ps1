#Requires -Version 7.4
# Failures people hit when mixing libvirt guests and Docker containers, each turned into a check
# of the behaviour HybridNet promises instead.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $script:labReady = (Test-DockerAvailable) -and (Test-LibvirtAvailable)
}

Describe 'Field cases' -Tag 'Integration', 'Docker', 'Libvirt', 'Slow' -Skip:(-not $labReady) {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        Import-TestLab
        Import-Module (Get-TestModulePath) -Force
        New-HybridLabImage | Out-Null
        New-HybridLabGuestAsset | Out-Null

        $script:bridgeName = New-TestName
        $script:bridge = New-HybridBridge -Name $bridgeName -SubnetPool 10.250.0.0/16 -ErrorAction Stop
        $script:vm = New-TestName
        New-HybridLabVM -Name $vm -Start | Out-Null
        Wait-HybridLabGuestAgent -Name $vm -TimeoutSec 120 | Out-Null
        $script:vmEndpoint = $bridge | Connect-HybridVM -Domain $vm -ErrorAction Stop
        Get-HybridLabGuestAddress -Name $vm -InterfaceName eth0 -TimeoutSec 90 | Out-Null
        $script:container = New-TestContainer -Name (New-TestName)
        $bridge | Connect-HybridContainer -Container $container -ErrorAction Stop | Out-Null
    }

    AfterAll {
        Get-HybridBridge -Name $bridgeName -ErrorAction SilentlyContinue | Remove-HybridBridge -Force -Confirm:$false
        Remove-HybridLabVM -Name $vm -ErrorAction SilentlyContinue
        & docker rm -f $container *> $null
    }

    Context 'B09: a repeated New-HybridBridge' {
        It 'returns the existing bridge and adds no rule' {
            $rulesBefore = @(& iptables -S | Where-Object { $_ -match "hybridnet:$bridgeName|HYBRIDNET-$bridgeName" }).Count
            $networksBefore = @(& docker network ls --filter "name=^$bridgeName$" -q).Count
            $again = New-HybridBridge -Name $bridgeName -Subnet $bridge.Subnet -ErrorAction Stop
            $again.Name | Should -Be $bridgeName
            @(& iptables -S | Where-Object { $_ -match "hybridnet:$bridgeName|HYBRIDNET-$bridgeName" }).Count | Should -Be $rulesBefore
            @(& docker network ls --filter "name=^$bridgeName$" -q).Count | Should -Be $networksBefore
        }

        It 'rejects a second bridge on the same subnet naming the first' {
            { New-HybridBridge -Name (New-TestName) -Subnet $bridge.Subnet -ContainerRange ($bridge.Subnet -replace '\.0/24$', '.64/27') -ErrorAction Stop } |
                Should -Throw -ExpectedMessage "*$bridgeName*"
        }
    }

    Context 'B17: hot-plug into a guest without ACPI' {
        BeforeAll {
            $script:noAcpi = New-TestName
            New-HybridLabVM -Name $noAcpi -NoAcpi -Start | Out-Null
            Wait-HybridLabGuestAgent -Name $noAcpi -TimeoutSec 120 | Out-Null
            $script:networkBefore = (& virsh -q -c qemu:///system net-dumpxml --inactive $bridgeName) -join "`n"
            $script:portsBefore = @((& bridge -j link show | ConvertFrom-Json) | Where-Object master -eq $bridgeName).ifname
        }

        AfterAll {
            Remove-HybridLabVM -Name $noAcpi -ErrorAction SilentlyContinue
        }

        It 'fails with a specific error and a hint' {
            $record = $null
            try {
                Connect-HybridVM -Bridge $bridgeName -Domain $noAcpi -ErrorAction Stop
            }
            catch {
                $record = $_
            }

            $record.FullyQualifiedErrorId | Should -BeLike 'HotplugFailed,*'
            $record.ErrorDetails.RecommendedAction | Should -BeLike '*-Persistent*'
        }

        It 'leaves no persistent NIC, reservation or tap behind' {
            $persistent = [xml](& virsh -q -c qemu:///system dumpxml --inactive $noAcpi)
            ($persistent.domain.devices.interface | Where-Object { $_.source.network -eq $bridgeName }) | Should -BeNullOrEmpty
            (& virsh -q -c qemu:///system net-dumpxml --inactive $bridgeName) -join "`n" | Should -Be $networkBefore
            @((& bridge -j link show | ConvertFrom-Json) | Where-Object master -eq $bridgeName).ifname | Should -Be $portsBefore
        }

        It 'adds the NIC for the next start with -Persistent' {
            $endpoint = Connect-HybridVM -Bridge $bridgeName -Domain $noAcpi -Persistent -ErrorAction Stop
            $endpoint.IPAddress | Should -Not -BeNullOrEmpty
            & virsh -q -c qemu:///system destroy $noAcpi | Out-Null
            & virsh -q -c qemu:///system start $noAcpi | Out-Null
            Wait-HybridLabGuestAgent -Name $noAcpi -TimeoutSec 120 | Out-Null
            Get-HybridLabGuestAddress -Name $noAcpi -InterfaceName eth0 -TimeoutSec 90 | Should -Be $endpoint.IPAddress
        }
    }

    Context 'B12: removing the Docker network' {
        It 'keeps the bridge, its address and the VM when Docker drops its network' {
            Disconnect-HybridContainer -Bridge $bridgeName -Container $container -Confirm:$false -ErrorAction Stop
            & docker network rm $bridgeName | Out-Null
            $addresses = (& ip -j -4 addr show dev $bridgeName | ConvertFrom-Json).addr_info.local
            $addresses | Should -Contain $bridge.Gateway
            $ports = @((& bridge -j link show | ConvertFrom-Json) | Where-Object master -eq $bridgeName).ifname
            $ports | Should -Contain (Get-HybridEndpoint -Bridge $bridgeName -Name $vm).HostInterface
            (Invoke-HybridLabGuestCommand -Name $vm -Path ping -ArgumentList '-c', '1', '-W', '2', $bridge.Gateway -TimeoutSec 30).ExitCode |
                Should -Be 0
        }

        It 'lets Repair-HybridBridge re-create the Docker network' {
            (Get-HybridBridge -Name $bridgeName).Problems -join "`n" | Should -Match 'Docker network .* is missing'
            Repair-HybridBridge -Name $bridgeName -Confirm:$false -ErrorAction Stop | Out-Null
            (Get-HybridBridge -Name $bridgeName).State | Should -Be 'Active'
            Connect-HybridContainer -Bridge $bridgeName -Container $container -ErrorAction Stop | Test-HybridConnectivity -Quiet |
                Should -BeTrue
        }
    }

    Context 'B13: the bridge address does not depend on Docker' {
        It 'keeps the gateway address and route while no container is attached' {
            Disconnect-HybridContainer -Bridge $bridgeName -Container $container -Confirm:$false -ErrorAction Stop
            (& ip -j -4 addr show dev $bridgeName | ConvertFrom-Json).addr_info.local | Should -Contain $bridge.Gateway
            (& ip -j -4 route show dev $bridgeName | ConvertFrom-Json).dst | Should -Contain $bridge.Subnet
        }

        It 'reports and repairs a lost gateway address' {
            $prefix = $bridge.Subnet.Split('/')[1]
            & ip addr del "$($bridge.Gateway)/$prefix" dev $bridgeName
            (Get-HybridBridge -Name $bridgeName).Problems -join "`n" | Should -Match 'does not carry the gateway address'
            $changes = @(Repair-HybridBridge -Name $bridgeName -Confirm:$false -ErrorAction Stop)
            ($changes.Action -join "`n") | Should -Match 'gateway address'
            (& ip -j -4 addr show dev $bridgeName | ConvertFrom-Json).addr_info.local | Should -Contain $bridge.Gateway
            (Invoke-HybridLabGuestCommand -Name $vm -Path ping -ArgumentList '-c', '1', '-W', '2', $bridge.Gateway -TimeoutSec 30).ExitCode |
                Should -Be 0
        }
    }
}
