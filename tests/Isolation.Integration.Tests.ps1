#Requires -Version 7.4
# Isolation modes against real neighbours: a container on another Docker network, a stand-in
# guest on another libvirt network, and a namespace playing a LAN host with a route to the
# hybrid subnet. The stand-in guest is a network namespace plugged into the other libvirt
# network's bridge, which is what a guest's tap would be.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $script:labReady = (Test-DockerAvailable) -and (Test-LibvirtAvailable)
}

Describe 'Isolation modes' -Tag 'Integration', 'Docker', 'Libvirt', 'Firewall' -Skip:(-not $labReady) {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        Import-TestLab
        Import-Module (Get-TestModulePath) -Force
        New-HybridLabImage | Out-Null

        $script:bridgeName = New-TestName
        $script:bridge = New-HybridBridge -Name $bridgeName -SubnetPool 10.250.0.0/16 -ErrorAction Stop
        # The member lives on the hybrid network only, so its default route is the bridge; a
        # container also on docker0 would leave through docker0 and bypass the bridge's rules.
        $script:member = New-TestContainer -Name (New-TestName) -Network $bridgeName
        $script:memberAddress = (Get-HybridEndpoint -Bridge $bridgeName -Name $member).IPAddress

        # A container on another Docker network.
        $script:dockerOther = New-TestName
        & docker network create --subnet 10.250.240.0/24 $dockerOther | Out-Null
        $script:outsider = New-TestContainer -Name (New-TestName) -Network $dockerOther
        $script:outsiderAddress = (& docker inspect $outsider | ConvertFrom-Json).NetworkSettings.Networks.$dockerOther.IPAddress

        # A stand-in guest on another (isolated) libvirt network.
        $script:libvirtOther = New-TestName
        $xml = "<network><name>$libvirtOther</name><bridge name='$libvirtOther' stp='off'/>" +
            "<ip address='10.250.241.1' prefix='24'/></network>"
        $file = Join-Path $TestDrive 'other.xml'
        Set-Content -Path $file -Value $xml
        & virsh -q -c qemu:///system net-define $file | Out-Null
        & virsh -q -c qemu:///system net-start $libvirtOther | Out-Null
        $script:guestNs = New-TestNamespace -Name (New-TestName) -Address 10.250.241.2/24 -Gateway 10.250.241.1 -Bridge $libvirtOther

        # A LAN neighbour routed through the host.
        $script:lanNs = New-TestNamespace -Name (New-TestName) -Address 10.250.242.2/24 -Gateway 10.250.242.1 -HostAddress 10.250.242.1/24
    }

    AfterAll {
        Get-HybridBridge -Name $bridgeName -ErrorAction SilentlyContinue | Remove-HybridBridge -Force -Confirm:$false
        foreach ($name in $member, $outsider) {
            & docker rm -f $name *> $null
        }

        & docker network rm $dockerOther *> $null
        Remove-TestNamespace -Name $guestNs
        Remove-TestNamespace -Name $lanNs
        & virsh -q -c qemu:///system net-destroy $libvirtOther *> $null
        & virsh -q -c qemu:///system net-undefine $libvirtOther *> $null
    }

    Context 'Isolated' {
        It 'defaults to Isolated mode' {
            $bridge.Mode | Should -Be 'Isolated'
        }

        It 'keeps a container on another Docker network out' {
            Test-ContainerPing -Container $outsider -Address $memberAddress | Should -BeFalse
            Test-ContainerPing -Container $member -Address $outsiderAddress | Should -BeFalse
        }

        It 'keeps a guest on another libvirt network out' {
            Test-NamespacePing -Namespace $guestNs -Address $memberAddress | Should -BeFalse
            Test-ContainerPing -Container $member -Address 10.250.241.2 | Should -BeFalse
        }

        It 'keeps a routed LAN neighbour out' {
            Test-NamespacePing -Namespace $lanNs -Address $memberAddress | Should -BeFalse
            Test-ContainerPing -Container $member -Address 10.250.242.2 | Should -BeFalse
        }

        It 'still lets the host reach members' {
            Test-HybridConnectivity -Bridge $bridgeName -Quiet | Should -BeTrue
        }
    }

    Context 'Routed with one allowed network' {
        BeforeAll {
            Set-HybridBridge -Name $bridgeName -Mode Routed -AllowNetwork 10.250.242.0/24 -Confirm:$false -ErrorAction Stop
        }

        It 'routes the allowed network both ways' {
            Test-NamespacePing -Namespace $lanNs -Address $memberAddress | Should -BeTrue
            Test-ContainerPing -Container $member -Address 10.250.242.2 | Should -BeTrue
        }

        It 'keeps the other libvirt network out' {
            Test-NamespacePing -Namespace $guestNs -Address $memberAddress | Should -BeFalse
            Test-ContainerPing -Container $member -Address 10.250.241.2 | Should -BeFalse
        }

        It 'keeps the other Docker network out' {
            Test-ContainerPing -Container $outsider -Address $memberAddress | Should -BeFalse
        }

        It 'allows a libvirt network by name' {
            Set-HybridBridge -Name $bridgeName -Mode Routed -AllowNetwork $libvirtOther -Confirm:$false -ErrorAction Stop
            Test-NamespacePing -Namespace $guestNs -Address $memberAddress | Should -BeTrue
            Test-NamespacePing -Namespace $lanNs -Address $memberAddress | Should -BeFalse
        }
    }

    Context 'Nat' {
        BeforeAll {
            Set-HybridBridge -Name $bridgeName -Mode Nat -AllowNetwork @() -Confirm:$false -ErrorAction Stop
        }

        It 'lets members reach the outside world' {
            Test-ContainerPing -Container $member -Address 10.250.242.2 | Should -BeTrue
        }

        It 'keeps the outside world from reaching members' {
            Test-NamespacePing -Namespace $lanNs -Address $memberAddress | Should -BeFalse
        }

        It 'masquerades the members' {
            $rules = & iptables -t nat -S POSTROUTING
            ($rules | Where-Object { $_ -like "*hybridnet:$bridgeName*" -and $_ -like '*MASQUERADE*' }) | Should -Not -BeNullOrEmpty
        }
    }

    Context 'Back to Isolated' {
        It 'closes every path again' {
            Set-HybridBridge -Name $bridgeName -Mode Isolated -Confirm:$false -ErrorAction Stop
            Test-ContainerPing -Container $member -Address 10.250.242.2 | Should -BeFalse
            (& iptables -t nat -S POSTROUTING) -join "`n" | Should -Not -Match "hybridnet:$bridgeName"
        }
    }
}
