#Requires -Version 7.4
# Probe kinds of Test-HybridConnectivity: repeated echoes, TCP ports, path MTU and -Quiet.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $script:labReady = (Test-DockerAvailable) -and (Test-LibvirtAvailable)
}

Describe 'Probe kinds' -Tag 'Integration', 'Docker', 'Libvirt' -Skip:(-not $labReady) {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        Import-TestLab
        Import-Module (Get-TestModulePath) -Force
        New-HybridLabImage | Out-Null

        $script:bridgeName = New-TestName
        $script:bridge = New-HybridBridge -Name $bridgeName -SubnetPool 10.250.0.0/16 -ErrorAction Stop
        $script:server = New-TestName
        & docker run -d --name $server --label hybridnet.test=1 --network $bridgeName hybridnet-lab/busybox:1 httpd -f -p 8080 | Out-Null
        $script:client = New-TestContainer -Name (New-TestName) -Network $bridgeName
        $endpoints = Get-HybridEndpoint -Bridge $bridgeName
        $script:serverEndpoint = $endpoints | Where-Object Name -eq $server
        $script:clientEndpoint = $endpoints | Where-Object Name -eq $client
    }

    AfterAll {
        Get-HybridBridge -Name $bridgeName -ErrorAction SilentlyContinue | Remove-HybridBridge -Force -Confirm:$false
        foreach ($name in $server, $client) {
            & docker rm -f $name *> $null
        }
    }

    It 'reports min, average and max over -Count echoes' {
        $result = $clientEndpoint, $serverEndpoint | Test-HybridConnectivity -ExcludeHost -Count 4 |
            Where-Object Source -eq $client
        $result.Sent | Should -Be 4
        $result.Received | Should -Be 4
        $result.LatencyMinMs | Should -BeLessOrEqual $result.LatencyMs
        $result.LatencyMs | Should -BeLessOrEqual $result.LatencyMaxMs
    }

    It 'finds an open TCP port' {
        $result = $clientEndpoint, $serverEndpoint | Test-HybridConnectivity -ExcludeHost -Port 8080 |
            Where-Object Source -eq $client
        $result.Protocol | Should -Be 'TCP/8080'
        $result.Status | Should -Be 'Reachable'
    }

    It 'tells a closed TCP port from a silent one' {
        $result = $clientEndpoint, $serverEndpoint | Test-HybridConnectivity -ExcludeHost -Port 8081 |
            Where-Object Source -eq $client
        $result.Status | Should -Be 'Unreachable'
        $result.Detail | Should -Match 'refused'
    }

    It 'measures the path MTU' {
        # The sender's own MTU is the exact limit; a veth receiving side lets a few bytes more through.
        $containerPid = & docker inspect --format '{{.State.Pid}}' $client
        & nsenter "--net=/proc/$containerPid/ns/net" -- ip link set dev eth0 mtu 1400
        try {
            $result = $clientEndpoint, $serverEndpoint | Test-HybridConnectivity -ExcludeHost -PathMtu |
                Where-Object Source -eq $client
            $result.PathMtu | Should -Be 1400
        }
        finally {
            & nsenter "--net=/proc/$containerPid/ns/net" -- ip link set dev eth0 mtu 1500
        }
    }

    It 'returns one boolean with -Quiet' {
        $answer = @(Test-HybridConnectivity -Bridge $bridgeName -Quiet)
        $answer.Count | Should -Be 1
        $answer[0] | Should -BeOfType [bool]
        $answer[0] | Should -BeTrue
    }

    It 'lays results out as a matrix' {
        $matrix = @(Test-HybridConnectivity -Bridge $bridgeName -AsMatrix)
        $matrix.Count | Should -Be 1
        $lines = $matrix[0] -split "`n"
        $lines[0] | Should -Match 'source \\ target'
        $lines[0] | Should -Match ([regex]::Escape("$server [Container]"))
        ($lines | Where-Object { $_ -like 'host*' }) | Should -Match 'ok'
        $lines[-1] | Should -Match '^\d+ Reachable'
    }

    It 'returns false with -Quiet when a pair fails' {
        $rule = @('-s', $clientEndpoint.IPAddress, '-d', $serverEndpoint.IPAddress, '-j', 'DROP')
        & iptables -I "HYBRIDNET-$bridgeName" 1 @rule
        try {
            Test-HybridConnectivity -Bridge $bridgeName -Quiet -ProbeTimeoutMs 300 | Should -BeFalse
        }
        finally {
            & iptables -D "HYBRIDNET-$bridgeName" @rule
        }
    }
}
