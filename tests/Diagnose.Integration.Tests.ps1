#Requires -Version 7.4
# Test-HybridConnectivity -Diagnose names the layer that drops a failing pair. Each test breaks
# one layer on purpose between two members, checks the diagnosis, and puts the layer back.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $script:labReady = (Test-DockerAvailable) -and (Test-LibvirtAvailable)
}

Describe 'Diagnosis of failing paths' -Tag 'Integration', 'Docker', 'Libvirt', 'Diagnose' -Skip:(-not $labReady) {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        Import-TestLab
        Import-Module (Get-TestModulePath) -Force
        New-HybridLabImage | Out-Null

        $script:bridgeName = New-TestName
        New-HybridBridge -Name $bridgeName -SubnetPool 10.250.0.0/16 -ErrorAction Stop | Out-Null
        # Both members sit on the hybrid network only, so every path between them crosses the bridge.
        $script:a = New-TestContainer -Name (New-TestName) -Network $bridgeName
        $script:b = New-TestContainer -Name (New-TestName) -Network $bridgeName

        function Get-Pair {
            $endpoints = Get-HybridEndpoint -Bridge $bridgeName
            return @(
                ($endpoints | Where-Object Name -eq $a)
                ($endpoints | Where-Object Name -eq $b)
            )
        }

        function Test-Pair {
            param([int] $BufferSize = 32)

            $pair = Get-Pair
            return $pair | Test-HybridConnectivity -ExcludeHost -Diagnose -BufferSize $BufferSize -ProbeTimeoutMs 500 |
                Where-Object { $_.Source -eq $a -and $_.Target -eq $b }
        }

        function Invoke-InContainer {
            param([string] $Container, [string[]] $Arguments)

            $containerPid = (& docker inspect --format '{{.State.Pid}}' $Container)
            & nsenter "--net=/proc/$containerPid/ns/net" -- @Arguments
        }

        $script:bAddress = (Get-Pair)[1].IPAddress
        $script:aAddress = (Get-Pair)[0].IPAddress
    }

    AfterAll {
        Get-HybridBridge -Name $bridgeName -ErrorAction SilentlyContinue | Remove-HybridBridge -Force -Confirm:$false
        foreach ($name in $a, $b) {
            & docker rm -f $name *> $null
        }
    }

    It 'starts with the pair reachable' {
        (Test-Pair).Status | Should -Be 'Reachable'
    }

    It 'names a dropping firewall rule with its counter' {
        & iptables -I "HYBRIDNET-$bridgeName" 1 -s $aAddress -d $bAddress -j DROP
        try {
            $result = Test-Pair
            $result.Status | Should -Be 'Unreachable'
            $result.FailedLayer | Should -Be 'Firewall'
            ($result.Diagnosis -join "`n") | Should -Match ([regex]::Escape("-s $aAddress/32 -d $bAddress/32"))
            ($result.Diagnosis -join "`n") | Should -Match 'dropped \d+ packet'
            ($result.Diagnosis -join "`n") | Should -Match 'bridge-nf-call-iptables=1'
        }
        finally {
            & iptables -D "HYBRIDNET-$bridgeName" -s $aAddress -d $bAddress -j DROP
        }
    }

    It 'names a member that left the bridge' {
        $veth = (Get-Pair)[1].HostInterface
        & ip link set dev $veth nomaster
        try {
            $result = Test-Pair
            $result.FailedLayer | Should -Be 'BridgePort'
            ($result.Diagnosis -join "`n") | Should -Match "$veth .* not a port"
        }
        finally {
            & ip link set dev $veth master $bridgeName
        }
    }

    It 'names failed neighbour resolution' {
        Invoke-InContainer -Container $b -Arguments 'ip', 'link', 'set', 'dev', 'eth0', 'arp', 'off'
        Invoke-InContainer -Container $a -Arguments 'ip', 'neigh', 'flush', 'all'
        try {
            $result = Test-Pair
            $result.FailedLayer | Should -Be 'Neighbour'
            ($result.Diagnosis -join "`n") | Should -Match 'did not answer ARP'
        }
        finally {
            Invoke-InContainer -Container $b -Arguments 'ip', 'link', 'set', 'dev', 'eth0', 'arp', 'on'
        }
    }

    It 'names a missing route' {
        Invoke-InContainer -Container $a -Arguments 'ip', 'route', 'add', 'unreachable', "$bAddress/32"
        try {
            $result = Test-Pair
            $result.FailedLayer | Should -Be 'Route'
            ($result.Diagnosis -join "`n") | Should -Match 'no route'
        }
        finally {
            Invoke-InContainer -Container $a -Arguments 'ip', 'route', 'del', 'unreachable', "$bAddress/32"
        }
    }

    It 'names strict reverse-path filtering' {
        Invoke-InContainer -Container $b -Arguments 'sysctl', '-q', '-w', 'net.ipv4.conf.all.rp_filter=1'
        Invoke-InContainer -Container $b -Arguments 'ip', 'route', 'add', "$aAddress/32", 'dev', 'lo'
        try {
            $result = Test-Pair
            $result.FailedLayer | Should -Be 'ReversePathFilter'
            ($result.Diagnosis -join "`n") | Should -Match 'rp_filter=1'
        }
        finally {
            Invoke-InContainer -Container $b -Arguments 'ip', 'route', 'del', "$aAddress/32", 'dev', 'lo'
            Invoke-InContainer -Container $b -Arguments 'sysctl', '-q', '-w', 'net.ipv4.conf.all.rp_filter=0'
        }
    }

    It 'names an MTU mismatch' {
        Invoke-InContainer -Container $b -Arguments 'ip', 'link', 'set', 'dev', 'eth0', 'mtu', '1280'
        try {
            $result = Test-Pair -BufferSize 1400
            $result.Status | Should -Be 'Unreachable'
            $result.FailedLayer | Should -Be 'Mtu'
            ($result.Diagnosis -join "`n") | Should -Match 'MTU 1280'
        }
        finally {
            Invoke-InContainer -Container $b -Arguments 'ip', 'link', 'set', 'dev', 'eth0', 'mtu', '1500'
        }
    }

    It 'ends with the pair reachable again' {
        (Test-Pair).Status | Should -Be 'Reachable'
    }
}
