#Requires -Version 7.4
# Measure-HybridPath between members of a hybrid bridge: two containers give a TCP throughput and
# ordered latency values without any tool in the image, and a VM end gives latency with the
# unsupported throughput named in Detail.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $script:labReady = (Test-DockerAvailable) -and (Test-LibvirtAvailable)
}

Describe 'Measure-HybridPath' -Tag 'Integration', 'Docker' -Skip:(-not $labReady) {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        Import-TestLab
        Import-Module (Get-TestModulePath) -Force
        New-HybridLabImage | Out-Null

        function Get-ErrorOf {
            param([scriptblock] $Command)

            try {
                & $Command
            }
            catch {
                return $_
            }

            return $null
        }

        $script:bridgeName = New-TestName
        $script:bridge = New-HybridBridge -Name $bridgeName -SubnetPool 10.250.0.0/16 -ErrorAction Stop
        $script:a = New-TestContainer -Name (New-TestName) -Network $bridgeName
        $script:b = New-TestContainer -Name (New-TestName) -Network $bridgeName
        $script:source = Get-HybridEndpoint -Bridge $bridgeName -Name $a
        $script:target = Get-HybridEndpoint -Bridge $bridgeName -Name $b
        $script:measurement = Measure-HybridPath -Source $source -Target $target -Count 5 -Seconds 1 -ErrorAction Stop
    }

    AfterAll {
        Get-HybridBridge -Name $bridgeName -ErrorAction SilentlyContinue | Remove-HybridBridge -Force -Confirm:$false
        foreach ($name in $a, $b) {
            & docker rm -f $name *> $null
        }
    }

    Context 'Two containers' {
        It 'names both ends and the target address' {
            $measurement.Source | Should -Be $a
            $measurement.Target | Should -Be $b
            $measurement.TargetAddress | Should -Be $target.IPAddress
        }

        It 'measures a positive throughput' {
            $measurement.ThroughputMbps | Should -BeGreaterThan 0
            $measurement.Seconds | Should -BeGreaterThan 0
        }

        It 'orders the latency values' {
            $measurement.LatencyMinMs | Should -BeGreaterThan 0
            $measurement.LatencyMinMs | Should -BeLessOrEqual $measurement.LatencyAvgMs
            $measurement.LatencyAvgMs | Should -BeLessOrEqual $measurement.LatencyMaxMs
        }

        It 'counts every echo reply in Detail' {
            $measurement.Detail | Should -Match '5 of 5 ICMP echoes .* got a reply'
        }

        It 'takes piped endpoints in pairs' {
            $piped = @($source, $target | Measure-HybridPath -Count 2 -Seconds 0 -ErrorAction Stop)
            $piped.Count | Should -Be 1
            $piped[0].Source | Should -Be $a
            $piped[0].Target | Should -Be $b
        }

        It 'skips the stream with -Seconds 0' {
            $latencyOnly = Measure-HybridPath -Source $source -Target $target -Count 2 -Seconds 0 -ErrorAction Stop
            $latencyOnly.ThroughputMbps | Should -BeNullOrEmpty
            $latencyOnly.LatencyAvgMs | Should -BeGreaterThan 0
        }
    }

    Context 'The host as an end' {
        It 'measures to the gateway with -ToHost' {
            $toHost = $source | Measure-HybridPath -ToHost -Count 2 -Seconds 1 -ErrorAction Stop
            $toHost.Target | Should -Be 'host'
            $toHost.TargetAddress | Should -Be $bridge.Gateway
            $toHost.ThroughputMbps | Should -BeGreaterThan 0
        }

        It 'measures from the host with -FromHost' {
            $fromHost = $target | Measure-HybridPath -FromHost -Count 2 -Seconds 1 -ErrorAction Stop
            $fromHost.Source | Should -Be 'host'
            $fromHost.ThroughputMbps | Should -BeGreaterThan 0
        }
    }

    Context 'Invalid pairs' {
        It 'rejects the same endpoint twice' {
            $record = Get-ErrorOf { Measure-HybridPath -Source $source -Target $source -ErrorAction Stop }
            $record.FullyQualifiedErrorId | Should -BeLike 'InvalidEndpointPair,*'
        }

        It 'reports a piped endpoint without a target' {
            $record = Get-ErrorOf { $source | Measure-HybridPath -ErrorAction Stop }
            $record.FullyQualifiedErrorId | Should -BeLike 'InvalidEndpointPair,*'
        }

        It 'reports a source that stopped after it was read' {
            # Docker lists no stopped container on a network, so the endpoint read before the
            # stop still names the old process, whose network namespace is gone.
            & docker stop -t 0 $a | Out-Null
            try {
                $record = Get-ErrorOf { Measure-HybridPath -Source $source -Target $target -ErrorAction Stop }
                $record.FullyQualifiedErrorId | Should -BeLike 'NamespaceEntryFailed,*'
            }
            finally {
                & docker start $a | Out-Null
            }
        }
    }

    Context 'A VM end' -Tag 'Libvirt' {
        BeforeAll {
            $script:vm = New-TestName
            New-HybridLabVM -Name $vm -Start | Out-Null
            Wait-HybridLabGuestAgent -Name $vm -TimeoutSec 180 | Out-Null
            Connect-HybridVM -Domain $vm -Bridge $bridgeName -ErrorAction Stop | Out-Null
            Get-HybridLabGuestAddress -Name $vm -InterfaceName eth0 -TimeoutSec 120 | Out-Null
            $script:vmEndpoint = Get-HybridEndpoint -Bridge $bridgeName -Name $vm
            $script:container = Get-HybridEndpoint -Bridge $bridgeName -Name $b
        }

        AfterAll {
            Remove-HybridLabVM -Name $vm -ErrorAction SilentlyContinue
        }

        It 'measures latency to the VM and names the unsupported throughput' {
            $toVm = Measure-HybridPath -Source $container -Target $vmEndpoint -Count 3 -ErrorAction Stop
            $toVm.LatencyMinMs | Should -BeLessOrEqual $toVm.LatencyMaxMs
            $toVm.ThroughputMbps | Should -BeNullOrEmpty
            $toVm.Detail | Should -Match 'Throughput: not supported'
        }

        It 'measures latency from the VM through the guest agent' {
            $fromVm = Measure-HybridPath -Source $vmEndpoint -Target $container -Count 3 -ErrorAction Stop
            $fromVm.LatencyMinMs | Should -BeGreaterThan 0
            $fromVm.LatencyMinMs | Should -BeLessOrEqual $fromVm.LatencyAvgMs
            $fromVm.LatencyAvgMs | Should -BeLessOrEqual $fromVm.LatencyMaxMs
            $fromVm.Detail | Should -Match 'QEMU guest agent'
        }

        It 'reports a VM that is not running' {
            & virsh -q -c qemu:///system destroy $vm | Out-Null
            $stopped = Get-HybridEndpoint -Bridge $bridgeName -Name $vm
            $stopped.Running | Should -BeFalse
            $record = Get-ErrorOf { Measure-HybridPath -Source $stopped -Target $container -ErrorAction Stop }
            $record.FullyQualifiedErrorId | Should -BeLike 'EndpointNotReady,*'
        }
    }
}
