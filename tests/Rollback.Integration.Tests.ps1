#Requires -Version 7.4
# Every multi-step change undoes its finished steps when a later step fails or the user stops
# it. HYBRIDNET_TEST_FAIL_AT_STEP makes step N fail on purpose; the host must end exactly as it
# was before the command.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $script:labReady = (Test-DockerAvailable) -and (Test-LibvirtAvailable)
    $script:bridgeSteps = 1..5 | ForEach-Object { @{ Step = $_ } }
    $script:vmSteps = 1..2 | ForEach-Object { @{ Step = $_ } }
}

Describe 'Rollback of failed changes' -Tag 'Integration', 'Docker', 'Libvirt' -Skip:(-not $labReady) {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        Import-TestLab
        Import-Module (Get-TestModulePath) -Force
        New-HybridLabImage | Out-Null
        New-HybridLabGuestAsset | Out-Null

        # Rules of other suites' bridges and of unnamed Docker networks (br-<id>) come and go with
        # work that may run alongside; no command under test touches them.
        $script:foreignRule = 'hnb|hnp|hns|hnlab|br-[0-9a-f]{12}'

        function Get-FullSnapshot {
            param([string] $Bridge, [string] $Domain, [string] $Container)

            [pscustomobject]@{
                Host       = Get-HostSnapshot | ConvertTo-Json -Compress
                # Sorted: dockerd re-inserts its own FORWARD jumps on every network change, which
                # moves other rules without adding or removing any.
                Filter     = (& iptables -S | Where-Object { $_ -notmatch $foreignRule } | Sort-Object) -join "`n"
                Nat        = (& iptables -t nat -S | Where-Object { $_ -notmatch $foreignRule } | Sort-Object) -join "`n"
                Network    = $Bridge ? ((& virsh -q -c qemu:///system net-dumpxml --inactive $Bridge) -join "`n") : ''
                Live       = $Domain ? ((& virsh -q -c qemu:///system dumpxml $Domain) -join "`n" -replace "<target dev='vnet\d+'/>", '') : ''
                Persistent = $Domain ? ((& virsh -q -c qemu:///system dumpxml --inactive $Domain) -join "`n") : ''
                Docker     = $Container ? ((& docker inspect --format '{{json .NetworkSettings.Networks}}' $Container) -join '') : ''
            }
        }

        function Invoke-WithFailure {
            param([int] $Step, [scriptblock] $Command)

            $env:HYBRIDNET_TEST_FAIL_AT_STEP = "$Step"
            try {
                & $Command
            }
            catch {
                return $_
            }
            finally {
                Remove-Item Env:HYBRIDNET_TEST_FAIL_AT_STEP
            }
        }

        $script:bridgeName = New-TestName
        $script:bridge = New-HybridBridge -Name $bridgeName -SubnetPool 10.250.0.0/16 -ErrorAction Stop
        $script:container = New-TestContainer -Name (New-TestName)
        $script:vm = New-TestName
        New-HybridLabVM -Name $vm -Start | Out-Null
        Wait-HybridLabGuestAgent -Name $vm -TimeoutSec 120 | Out-Null
    }

    AfterAll {
        Get-HybridBridge -Name $bridgeName -ErrorAction SilentlyContinue | Remove-HybridBridge -Force -Confirm:$false
        Remove-HybridLabVM -Name $vm -ErrorAction SilentlyContinue
        & docker rm -f $container *> $null
    }

    It 'undoes New-HybridBridge failing at step <Step>' -ForEach $bridgeSteps {
        $before = Get-FullSnapshot
        $name = New-TestName
        $record = Invoke-WithFailure -Step $Step -Command {
            New-HybridBridge -Name $name -SubnetPool 10.250.0.0/16 -ErrorAction Stop
        }
        $record.FullyQualifiedErrorId | Should -BeLike 'InjectedFailure,*'
        $after = Get-FullSnapshot
        $after.Host | Should -Be $before.Host
        $after.Filter | Should -Be $before.Filter
        $after.Nat | Should -Be $before.Nat
    }

    It 'undoes Connect-HybridContainer failing at step 1' {
        $before = Get-FullSnapshot -Bridge $bridgeName -Container $container
        $record = Invoke-WithFailure -Step 1 -Command {
            Connect-HybridContainer -Bridge $bridgeName -Container $container -ErrorAction Stop
        }
        $record.FullyQualifiedErrorId | Should -BeLike 'InjectedFailure,*'
        $after = Get-FullSnapshot -Bridge $bridgeName -Container $container
        $after.Docker | Should -Be $before.Docker
        $after.Network | Should -Be $before.Network
    }

    It 'undoes Connect-HybridVM failing at step <Step>' -ForEach $vmSteps {
        $before = Get-FullSnapshot -Bridge $bridgeName -Domain $vm
        $record = Invoke-WithFailure -Step $Step -Command {
            Connect-HybridVM -Bridge $bridgeName -Domain $vm -IPAddress ($bridge.Gateway -replace '\.1$', '.20') -ErrorAction Stop
        }
        $record.FullyQualifiedErrorId | Should -BeLike 'InjectedFailure,*'
        $after = Get-FullSnapshot -Bridge $bridgeName -Domain $vm
        $after.Network | Should -Be $before.Network
        $after.Persistent | Should -Be $before.Persistent
        $after.Live | Should -Be $before.Live
        $after.Host | Should -Be $before.Host
    }

    It 'undoes New-HybridBridge stopped with Ctrl+C' {
        $name = New-TestName
        $shell = [powershell]::Create()
        try {
            $null = $shell.AddCommand('Import-Module').AddParameter('Name', (Get-TestModulePath)).AddStatement()
            $null = $shell.AddCommand('New-HybridBridge').AddParameter('Name', $name).AddParameter('SubnetPool', '10.250.0.0/16')
            $async = $shell.BeginInvoke()
            # Stop while the libvirt network exists but the Docker network does not yet.
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            while (-not ((& virsh -q -c qemu:///system net-list --all --name) -contains $name) -and [DateTime]::UtcNow -lt $deadline) {
                Start-Sleep -Milliseconds 20
            }

            $stopped = Measure-Command { $shell.Stop() }
            $stopped.TotalSeconds | Should -BeLessThan 1
            $async.IsCompleted | Should -BeTrue
        }
        finally {
            $shell.Dispose()
        }

        # Only this bridge's traces are compared, so other work on the host cannot disturb the check.
        Get-TestLinkNames | Should -Not -Contain $name
        Get-TestLibvirtNetworks | Should -Not -Contain $name
        Get-TestDockerNetworks | Should -Not -Contain $name
        (& iptables -S) -join "`n" | Should -Not -Match $name
    }
}
