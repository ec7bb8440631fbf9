#Requires -Version 7.4
# Set-HybridBridge changes a running bridge in place, and -WhatIf lists every change with its
# exact command while making none.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $script:labReady = (Test-DockerAvailable) -and (Test-LibvirtAvailable)
}

Describe 'Changing a bridge' -Tag 'Integration', 'Docker', 'Libvirt', 'Slow' -Skip:(-not $labReady) {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        Import-TestLab
        Import-Module (Get-TestModulePath) -Force
        New-HybridLabImage | Out-Null
        New-HybridLabGuestAsset | Out-Null

        $script:bridgeName = New-TestName
        $script:bridge = New-HybridBridge -Name $bridgeName -SubnetPool 10.250.0.0/16 -ErrorAction Stop
        $script:web = New-TestContainer -Name (New-TestName)
        $bridge | Connect-HybridContainer -Container $web -ErrorAction Stop | Out-Null
        $script:vm = New-TestName
        New-HybridLabVM -Name $vm -Start | Out-Null
        Wait-HybridLabGuestAgent -Name $vm -TimeoutSec 120 | Out-Null
        $bridge | Connect-HybridVM -Domain $vm -ErrorAction Stop | Out-Null
        Get-HybridLabGuestAddress -Name $vm -InterfaceName eth0 -TimeoutSec 90 | Out-Null

        function Invoke-Child {
            param([string] $Command)

            $script = Join-Path $TestDrive 'child.ps1'
            Set-Content -Path $script -Value "Import-Module '$(Get-TestModulePath)'`n$Command"
            $pwsh = [System.Environment]::GetCommandLineArgs()[0]
            if ($pwsh -like '*.dll') {
                return & dotnet $pwsh -NoProfile -NonInteractive -File $script 2>&1
            }

            return & $pwsh -NoProfile -NonInteractive -File $script 2>&1
        }
    }

    AfterAll {
        Get-HybridBridge -Name $bridgeName -ErrorAction SilentlyContinue | Remove-HybridBridge -Force -Confirm:$false
        Remove-HybridLabVM -Name $vm -ErrorAction SilentlyContinue
        & docker rm -f $web *> $null
    }

    Context '-WhatIf' {
        It 'lists each step of New-HybridBridge with its command and makes none' {
            $name = New-TestName
            $before = Get-HostSnapshot | ConvertTo-Json -Compress
            $output = (Invoke-Child "New-HybridBridge -Name $name -SubnetPool 10.250.0.0/16 -WhatIf") -join "`n"
            $output | Should -Match "What if: .*virsh -q -c qemu:///system net-define"
            $output | Should -Match "What if: .*net-start $name"
            $output | Should -Match "What if: .*POST .*/networks/create name=$name"
            $output | Should -Match "What if: .*iptables"
            Get-HostSnapshot | ConvertTo-Json -Compress | Should -Be $before
        }

        It 'lists the reservation and the attach of Connect-HybridVM' {
            $output = (Invoke-Child "Connect-HybridVM -Bridge $bridgeName -Domain $vm -WhatIf") -join "`n"
            # The VM is already connected, so nothing is listed and nothing changes.
            $output | Should -Not -Match 'What if'
            $output = (Invoke-Child "Disconnect-HybridVM -Bridge $bridgeName -Domain $vm -WhatIf") -join "`n"
            $output | Should -Match 'What if: .*detach-device'
            $output | Should -Match 'What if: .*net-update .* delete ip-dhcp-host'
            (Get-HybridEndpoint -Bridge $bridgeName -Kind VM).Name | Should -Be $vm
        }
    }

    Context 'Set-HybridBridge' {
        It 'changes the MTU of the bridge and the members'' links' {
            Set-HybridBridge -Name $bridgeName -Mtu 1400 -Confirm:$false -ErrorAction Stop
            (Get-Content "/sys/class/net/$bridgeName/mtu") | Should -Be '1400'
            foreach ($endpoint in Get-HybridEndpoint -Bridge $bridgeName) {
                (Get-Content "/sys/class/net/$($endpoint.HostInterface)/mtu") | Should -Be '1400' -Because $endpoint.Name
            }

            (Get-HybridBridge -Name $bridgeName).Mtu | Should -Be 1400
        }

        It 'changes the DNS domain and keeps members attached' {
            $domain = "$bridgeName.example"
            Set-HybridBridge -Name $bridgeName -Domain $domain -Confirm:$false -ErrorAction Stop
            $state = Get-HybridBridge -Name $bridgeName
            $state.Domain | Should -Be $domain
            $state.Problems | Should -BeNullOrEmpty
            Test-HybridConnectivity -Bridge $bridgeName -Quiet | Should -BeTrue
            Test-ContainerPing -Container $web -Address "$vm.$domain" | Should -BeTrue
        }

        It 'moves the VM pool without restarting the network' {
            $subnet = $bridge.Subnet -replace '\.0/24$', ''
            Set-HybridBridge -Name $bridgeName -VmRange "$subnet.200-$subnet.250" -Confirm:$false -ErrorAction Stop
            (Get-HybridBridge -Name $bridgeName).VmPool | Should -Be "$subnet.200-$subnet.250"
            $other = New-TestName
            New-HybridLabVM -Name $other | Out-Null
            try {
                $endpoint = Connect-HybridVM -Bridge $bridgeName -Domain $other -ErrorAction Stop
                $endpoint.IPAddress | Should -Be "$subnet.200"
            }
            finally {
                Remove-HybridLabVM -Name $other -ErrorAction SilentlyContinue
            }
        }

        It 'refuses a new container range while containers are attached' {
            $subnet = $bridge.Subnet -replace '\.0/24$', ''
            { Set-HybridBridge -Name $bridgeName -ContainerRange "$subnet.96/27" -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'SettingNotChangeable,*'
        }

        It 'rejects an unknown network for -AllowNetwork' {
            { Set-HybridBridge -Name $bridgeName -Mode Routed -AllowNetwork hntnosuchnet -Confirm:$false -ErrorAction Stop } |
                Should -Throw -ErrorId 'UnknownNetwork,*'
            (Get-HybridBridge -Name $bridgeName).Mode | Should -Be 'Isolated'
        }
    }
}
