#Requires -Version 7.4
# Runs last (files run in name order): nothing the suite created may remain on the host.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $script:labReady = (Test-DockerAvailable) -and (Test-LibvirtAvailable)
}

Describe 'Nothing left behind' -Tag 'Integration', 'Docker', 'Libvirt' -Skip:(-not $labReady) {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        # hnt: most suites; hnlab: the lab's tests; hns, hnp: the survey and interop suites. The
        # benchmarks (hnb) are no test suite and clean up after themselves.
        $script:prefixes = '^(hnt|hnlab|hns|hnp)'
    }

    It 'leaves no test bridge or link' {
        Get-TestLinkNames | Where-Object { $_ -match $prefixes } | Should -BeNullOrEmpty
    }

    It 'leaves no test Docker network' {
        Get-TestDockerNetworks | Where-Object { $_ -match $prefixes } | Should -BeNullOrEmpty
    }

    It 'leaves no test libvirt network' {
        Get-TestLibvirtNetworks | Where-Object { $_ -match $prefixes } | Should -BeNullOrEmpty
    }

    It 'leaves no test domain' {
        Get-TestDomains | Where-Object { $_ -match $prefixes } | Should -BeNullOrEmpty
    }

    It 'leaves no test container' {
        Get-TestContainers | Where-Object { $_ -match $prefixes } | Should -BeNullOrEmpty
    }

    It 'leaves no test network namespace' {
        @(& ip netns list) | Where-Object { $_ -match $prefixes } | Should -BeNullOrEmpty
    }

    It 'leaves no test firewall rule' {
        (& iptables -S) -join "`n" | Should -Not -Match 'hybridnet:(hnt|hnlab|hns|hnp)|HYBRIDNET-(hnt|hnlab|hns|hnp)'
        (& iptables -t nat -S) -join "`n" | Should -Not -Match 'hybridnet:(hnt|hnlab|hns|hnp)'
    }
}
