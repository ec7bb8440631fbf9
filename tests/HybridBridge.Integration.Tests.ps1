#Requires -Version 7.4
# End-to-end checks of the main job on real components: a hybrid bridge with two containers and
# one QEMU guest, probed in every direction, and the attachments surviving restarts.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $script:labReady = (Test-DockerAvailable) -and (Test-LibvirtAvailable)
}

Describe 'Hybrid bridge with a VM and containers' -Tag 'Integration', 'Docker', 'Libvirt', 'Slow' -Skip:(-not $labReady) {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        Import-TestLab
        Import-Module (Get-TestModulePath) -Force
        Remove-TestLeftovers
        New-HybridLabImage | Out-Null
        New-HybridLabGuestAsset | Out-Null

        $script:bridgeName = New-TestName
        $script:web = New-TestContainer -Name (New-TestName)
        $script:db = New-TestContainer -Name (New-TestName)
        $script:vm = New-TestName
        New-HybridLabVM -Name $vm -Start | Out-Null
        Wait-HybridLabGuestAgent -Name $vm -TimeoutSec 120 | Out-Null

        $script:bridge = New-HybridBridge -Name $bridgeName -SubnetPool 10.250.0.0/16 -ErrorAction Stop
        $script:webEndpoint = $bridge | Connect-HybridContainer -Container $web -ErrorAction Stop
        $script:dbEndpoint = Connect-HybridContainer -Bridge $bridgeName -Container $db -ErrorAction Stop
        $script:vmEndpoint = $bridge | Connect-HybridVM -Domain $vm -ErrorAction Stop
        $script:vmAddress = Get-HybridLabGuestAddress -Name $vm -InterfaceName eth0 -TimeoutSec 90
    }

    AfterAll {
        Get-HybridBridge -Name $bridgeName -ErrorAction SilentlyContinue | Remove-HybridBridge -Force -Confirm:$false
        Remove-HybridLabVM -Name $vm -ErrorAction SilentlyContinue
        foreach ($name in $web, $db) {
            & docker rm -f $name *> $null
        }
    }

    It 'returns a bridge with a non-overlapping plan' {
        $bridge.State | Should -Be 'Active'
        $bridge.Subnet | Should -BeLike '10.250.*/24'
        $bridge.Gateway | Should -Not -BeNullOrEmpty
        $bridge.Autostart | Should -BeTrue
    }

    It 'puts the gateway address on the bridge' {
        $addresses = (& ip -j -4 addr show dev $bridgeName | ConvertFrom-Json).addr_info.local
        $addresses | Should -Contain $bridge.Gateway
    }

    It 'lets libvirt own the Linux bridge' {
        $xml = [xml](& virsh -q -c qemu:///system net-dumpxml $bridgeName)
        $xml.network.bridge.name | Should -Be $bridgeName
        (& virsh -q -c qemu:///system net-list --name) | Should -Contain $bridgeName
    }

    It 'lays the Docker network over the same bridge' {
        $network = & docker network inspect $bridgeName | ConvertFrom-Json
        $network.Options.'com.docker.network.bridge.name' | Should -Be $bridgeName
        $network.IPAM.Config[0].IPRange | Should -Be $bridge.ContainerPool
    }

    It 'gives containers addresses from the container pool' {
        $pool = $bridge.ContainerPool.Split('/')[0].Split('.')[3] -as [int]
        ($webEndpoint.IPAddress.Split('.')[3] -as [int]) | Should -BeGreaterOrEqual $pool
        $webEndpoint.HostInterface | Should -Not -BeNullOrEmpty
        $webEndpoint.Kind | Should -Be 'Container'
    }

    It 'hot-plugs the VM NIC into the running guest' {
        $live = [xml](& virsh -q -c qemu:///system dumpxml $vm)
        $nic = $live.domain.devices.interface | Where-Object { $_.source.network -eq $bridgeName }
        $nic | Should -Not -BeNullOrEmpty
        $nic.model.type | Should -Be 'virtio'
        $vmEndpoint.HostInterface | Should -Be $nic.target.dev
    }

    It 'adds the VM NIC to the persistent definition' {
        $persistent = [xml](& virsh -q -c qemu:///system dumpxml --inactive $vm)
        ($persistent.domain.devices.interface | Where-Object { $_.source.network -eq $bridgeName }) |
            Should -Not -BeNullOrEmpty
    }

    It 'gives the guest its reserved address by DHCP' {
        $vmAddress | Should -Be $vmEndpoint.IPAddress
    }

    It 'reaches every pair in both directions' {
        $results = @(Test-HybridConnectivity -Bridge $bridgeName)
        $results.Count | Should -Be 9
        $failed = $results | Where-Object Status -ne 'Reachable' | ForEach-Object { "$($_.Source)->$($_.Target): $($_.Detail)" }
        $failed | Should -BeNullOrEmpty
    }

    It 'probes VM sources through the guest agent' {
        $fromVm = @($vmEndpoint, $webEndpoint | Test-HybridConnectivity -ExcludeHost | Where-Object Source -eq $vm)
        $fromVm.Count | Should -Be 1
        $fromVm[0].Status | Should -Be 'Reachable'
        $fromVm[0].Detail | Should -BeLike '*guest agent*'
    }

    It 'keeps the VM NIC after destroy and start' {
        & virsh -q -c qemu:///system destroy $vm | Out-Null
        & virsh -q -c qemu:///system start $vm | Out-Null
        Wait-HybridLabGuestAgent -Name $vm -TimeoutSec 120 | Out-Null
        Get-HybridLabGuestAddress -Name $vm -InterfaceName eth0 -TimeoutSec 90 | Should -Be $vmEndpoint.IPAddress
        $endpoint = Get-HybridEndpoint -Bridge $bridgeName -Kind VM
        $ports = (& bridge -j link show | ConvertFrom-Json) | Where-Object master -eq $bridgeName
        $ports.ifname | Should -Contain $endpoint.HostInterface
        Test-HybridConnectivity -InputObject $endpoint -Quiet | Should -BeTrue
    }

    It 'keeps a container address after docker restart' {
        & docker restart -t 1 $web | Out-Null
        $endpoint = Get-HybridEndpoint -Bridge $bridgeName -Name $web
        $endpoint.IPAddress | Should -Be $webEndpoint.IPAddress
        $endpoint.Running | Should -BeTrue
        $endpoint, (Get-HybridEndpoint -Bridge $bridgeName -Name $db) | Test-HybridConnectivity -Quiet | Should -BeTrue
    }

    It 'keeps another Docker network out' {
        $outsiderNetwork = New-TestName
        $outsider = New-TestName
        try {
            & docker network create --subnet 10.250.251.0/24 $outsiderNetwork | Out-Null
            New-TestContainer -Name $outsider -Network $outsiderNetwork | Out-Null
            Test-ContainerPing -Container $outsider -Address $webEndpoint.IPAddress | Should -BeFalse
            Test-ContainerPing -Container $outsider -Address $vmEndpoint.IPAddress | Should -BeFalse
            $outsiderAddress = (& docker inspect $outsider | ConvertFrom-Json).NetworkSettings.Networks.$outsiderNetwork.IPAddress
            Test-ContainerPing -Container $web -Address $outsiderAddress | Should -BeFalse
        }
        finally {
            & docker rm -f $outsider *> $null
            & docker network rm $outsiderNetwork *> $null
        }
    }
}
