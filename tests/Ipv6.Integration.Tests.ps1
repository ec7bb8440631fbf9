#Requires -Version 7.4
# A bridge with an IPv6 /64: containers get addresses from Docker, the guest configures itself
# from the router advertisements of the bridge's dnsmasq, and every pair reaches the others over
# IPv6 through the bridge's own ip6tables chain, neighbour discovery included.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $script:labReady = (Test-DockerAvailable) -and (Test-LibvirtAvailable) -and [bool](Get-Command ip6tables -ErrorAction SilentlyContinue)
}

Describe 'IPv6 on a hybrid bridge' -Tag 'Integration', 'Docker', 'Libvirt', 'IPv6', 'Slow' -Skip:(-not $labReady) {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        Import-TestLab
        Import-Module (Get-TestModulePath) -Force
        New-HybridLabImage | Out-Null
        New-HybridLabGuestAsset | Out-Null

        $script:bridgeName = New-TestName
        # A unique local prefix of the tests' own, made different per run.
        $script:prefix = 'fd25:a0:{0:x}:{1:x}::/64' -f (Get-Random -Maximum 65535), (Get-Random -Maximum 65535)
        $script:bridge = New-HybridBridge -Name $bridgeName -SubnetPool 10.250.0.0/16 -Ipv6Subnet $prefix -ErrorAction Stop
        $script:web = New-TestContainer -Name (New-TestName) -Network $bridgeName
        $script:db = New-TestContainer -Name (New-TestName)
        Connect-HybridContainer -Bridge $bridgeName -Container $db -ErrorAction Stop | Out-Null
        $script:vm = New-TestName
        New-HybridLabVM -Name $vm -Start | Out-Null
        Wait-HybridLabGuestAgent -Name $vm -TimeoutSec 120 | Out-Null
        Connect-HybridVM -Bridge $bridgeName -Domain $vm -ErrorAction Stop | Out-Null
        Get-HybridLabGuestAddress -Name $vm -InterfaceName eth0 -TimeoutSec 90 | Out-Null
    }

    AfterAll {
        Get-HybridBridge -Name $bridgeName -ErrorAction SilentlyContinue | Remove-HybridBridge -Force -Confirm:$false
        Remove-HybridLabVM -Name $vm -ErrorAction SilentlyContinue
        foreach ($name in $web, $db) {
            & docker rm -f $name *> $null
        }
    }

    It 'stores the IPv6 subnet' {
        $bridge.Ipv6Subnet | Should -Be $prefix
    }

    It 'puts the IPv6 gateway on the bridge' {
        $addresses = (& ip -j -6 addr show dev $bridgeName | ConvertFrom-Json).addr_info.local
        $addresses | Should -Contain ($prefix -replace '::/64$', '::1')
    }

    It 'gives containers addresses in the prefix' {
        $containers = Get-HybridEndpoint -Bridge $bridgeName -Kind Container
        $containers.IPv6Address | Should -HaveCount 2
        $containers.IPv6Address | ForEach-Object { $_ | Should -BeLike ($prefix -replace '::/64$', ':*') }
    }

    It 'lets the guest configure itself by SLAAC' {
        $deadline = [DateTime]::UtcNow.AddSeconds(60)
        do {
            $result = Invoke-HybridLabGuestCommand -Name $vm -Path ip -ArgumentList '-6', 'addr', 'show', 'dev', 'eth0' -TimeoutSec 30
            # A SLAAC address answers only once duplicate address detection has finished, that
            # is, when the kernel no longer marks it tentative.
            $lines = @($result.StdOut -split "`n")
            $index = [array]::FindIndex([string[]]$lines, [Predicate[string]] { param($line) $line -match ($prefix -replace '::/64$', ':') })
            $global = $index -ge 0 -and $lines[$index] -notmatch 'tentative' -and
                ($index + 1 -ge $lines.Count -or $lines[$index + 1] -notmatch 'tentative')
            if (-not $global) {
                Start-Sleep -Seconds 2
            }
        } until ($global -or [DateTime]::UtcNow -gt $deadline)

        $global | Should -BeTrue
    }

    It 'reaches every pair over IPv6' {
        # Router advertisements and neighbour discovery settle within seconds of the guest's
        # address; a pair that still fails after three rounds fails the test.
        for ($round = 0; $round -lt 3; $round++) {
            $results = @(Test-HybridConnectivity -Bridge $bridgeName -AddressFamily IPv6)
            if (-not ($results | Where-Object Status -ne 'Reachable')) {
                break
            }

            Start-Sleep -Seconds 2
        }

        $results.Count | Should -Be 9
        $results | Where-Object Status -ne 'Reachable' | ForEach-Object { "$($_.Source)->$($_.Target) $($_.TargetAddress): $($_.Detail)" } |
            Should -BeNullOrEmpty
    }

    It 'resolves neighbours in the guest' {
        $neighbours = (Invoke-HybridLabGuestCommand -Name $vm -Path ip -ArgumentList '-6', 'neigh', 'show', 'dev', 'eth0' -TimeoutSec 30).StdOut
        $webAddress = (Get-HybridEndpoint -Bridge $bridgeName -Name $web).IPv6Address
        $neighbours | Should -Match ([regex]::Escape($webAddress))
    }

    It 'accepts bridged IPv6 in its own ip6tables chain' {
        $rules = & ip6tables -S "HYBRIDNET-$bridgeName"
        $rules | Should -Contain "-A HYBRIDNET-$bridgeName -i $bridgeName -o $bridgeName -j ACCEPT"
        (& ip6tables -S FORWARD) -join "`n" | Should -Match "hybridnet:$bridgeName"
    }

    It 'rejects a prefix another network uses' {
        { New-HybridBridge -Name (New-TestName) -SubnetPool 10.250.0.0/16 -Ipv6Subnet $prefix -ErrorAction Stop } |
            Should -Throw -ExpectedMessage "*$bridgeName*"
    }

    It 'removes its ip6tables rules with the bridge' {
        $name = New-TestName
        $other = 'fd25:a1:{0:x}::/64' -f (Get-Random -Maximum 65535)
        New-HybridBridge -Name $name -SubnetPool 10.250.0.0/16 -Ipv6Subnet $other -ErrorAction Stop | Out-Null
        (& ip6tables -S) -join "`n" | Should -Match $name
        Remove-HybridBridge -Name $name -Confirm:$false -ErrorAction Stop
        (& ip6tables -S) -join "`n" | Should -Not -Match $name
    }
}
