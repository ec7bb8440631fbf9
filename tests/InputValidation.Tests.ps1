#Requires -Version 7.4
# Bad input gets a clear error with a stable id and category before anything on the host changes.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $script:labReady = (Test-DockerAvailable) -and (Test-LibvirtAvailable)
    $script:badBridgeCases = @(
        @{ Case = 'over 15 bytes'; Name = 'hntaaaaaaaaaaaaa' }
        @{ Case = 'multibyte over 15 bytes'; Name = 'hntäääääää' }
        @{ Case = 'a space'; Name = 'hnt bad' }
        @{ Case = 'a semicolon'; Name = 'hnt;reboot' }
        @{ Case = 'command substitution'; Name = 'hnt$(id)' }
        @{ Case = 'a newline'; Name = "hnt`nx" }
        @{ Case = 'a leading dash'; Name = '-hnt' }
        @{ Case = 'a slash'; Name = 'hnt/x' }
    )
    $script:badSubnetCases = @(
        @{ Case = 'no prefix'; Subnet = '10.250.9.0' }
        @{ Case = 'host bits set'; Subnet = '10.250.9.7/24' }
        @{ Case = 'prefix over 32'; Subnet = '10.250.9.0/33' }
        @{ Case = 'short address'; Subnet = '10.250/16' }
        @{ Case = 'hex address'; Subnet = '0x0afa0900/24' }
        @{ Case = 'prefix too long for pools'; Subnet = '10.250.9.0/30' }
        @{ Case = 'text'; Subnet = 'subnet' }
    )
}

Describe 'Input validation' -Tag 'Integration', 'Docker', 'Libvirt' -Skip:(-not $labReady) {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        Import-Module (Get-TestModulePath) -Force
        Remove-TestLeftovers

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
        $script:before = Get-HostSnapshot
    }

    AfterAll {
        Remove-HybridBridge -Name $bridgeName -Force -Confirm:$false -ErrorAction SilentlyContinue
    }

    Context 'New-HybridBridge names' {
        It 'rejects a bridge name with <Case>' -ForEach $badBridgeCases {
            $record = Get-ErrorOf { New-HybridBridge -Name $Name -Subnet 10.250.9.0/24 -ErrorAction Stop }
            $record.FullyQualifiedErrorId | Should -BeLike 'InvalidBridgeName,*'
            $record.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $record.ErrorDetails.RecommendedAction | Should -Not -BeNullOrEmpty
        }
    }

    Context 'New-HybridBridge subnets' {
        It 'rejects a subnet with <Case>' -ForEach $badSubnetCases {
            $record = Get-ErrorOf { New-HybridBridge -Name (New-TestName) -Subnet $Subnet -ErrorAction Stop }
            $record.FullyQualifiedErrorId | Should -BeLike 'InvalidSubnet,*'
            $record.CategoryInfo.Category | Should -Be 'InvalidArgument'
        }

        It 'rejects a subnet another network uses' {
            $record = Get-ErrorOf { New-HybridBridge -Name (New-TestName) -Subnet $bridge.Subnet -ErrorAction Stop }
            $record.FullyQualifiedErrorId | Should -BeLike 'SubnetInUse,*'
            $record.Exception.Message | Should -BeLike "*$bridgeName*"
        }

        It 'rejects the same name with another subnet' {
            $record = Get-ErrorOf { New-HybridBridge -Name $bridgeName -Subnet 10.250.9.0/24 -ErrorAction Stop }
            $record.FullyQualifiedErrorId | Should -BeLike 'BridgeConflict,*'
            $record.Exception.Message | Should -BeLike "*$($bridge.Subnet)*"
        }

        It 'returns the existing bridge on a repeat' {
            $again = New-HybridBridge -Name $bridgeName -Subnet $bridge.Subnet -ErrorAction Stop
            $again.DockerNetworkId | Should -Be $bridge.DockerNetworkId
        }
    }

    Context 'Members' {
        It 'reports a missing container' {
            $record = Get-ErrorOf { Connect-HybridContainer -Bridge $bridgeName -Container hntnosuchbox -ErrorAction Stop }
            $record.FullyQualifiedErrorId | Should -BeLike 'ContainerNotFound,*'
            $record.CategoryInfo.Category | Should -Be 'ObjectNotFound'
            $record.TargetObject | Should -Be 'hntnosuchbox'
        }

        It 'reports a missing domain' {
            $record = Get-ErrorOf { Connect-HybridVM -Bridge $bridgeName -Domain hntnosuchvm -ErrorAction Stop }
            $record.FullyQualifiedErrorId | Should -BeLike 'DomainNotFound,*'
            $record.CategoryInfo.Category | Should -Be 'ObjectNotFound'
        }

        It 'reports a missing bridge' {
            $record = Get-ErrorOf { Connect-HybridVM -Bridge hntnosuchbr -Domain hntnosuchvm -ErrorAction Stop }
            $record.FullyQualifiedErrorId | Should -BeLike 'BridgeNotFound,*'
        }

        It 'rejects an address outside the subnet' {
            $container = New-TestContainer -Name (New-TestName)
            try {
                $record = Get-ErrorOf { Connect-HybridContainer -Bridge $bridgeName -Container $container -IPAddress 192.0.2.10 -ErrorAction Stop }
                $record.FullyQualifiedErrorId | Should -BeLike 'AddressOutsideSubnet,*'
                $record.CategoryInfo.Category | Should -Be 'InvalidArgument'
                (& docker inspect $container | ConvertFrom-Json).NetworkSettings.Networks.PSObject.Properties.Name |
                    Should -Not -Contain $bridgeName
            }
            finally {
                & docker rm -f $container *> $null
            }
        }

        It 'rejects a malformed address' {
            $record = Get-ErrorOf { Connect-HybridVM -Bridge $bridgeName -Domain hntnosuchvm -IPAddress '10.250.1' -ErrorAction Stop }
            $record.FullyQualifiedErrorId | Should -BeLike 'InvalidIPAddress,*'
        }
    }

    Context 'Daemons not reachable' {
        It 'names an unreachable Docker daemon fast' {
            $saved = $env:DOCKER_HOST
            $env:DOCKER_HOST = 'unix:///run/hntmissing/docker.sock'
            try {
                $elapsed = Measure-Command {
                    $script:record = Get-ErrorOf { Connect-HybridContainer -Bridge $bridgeName -Container x -ErrorAction Stop }
                }
            }
            finally {
                $env:DOCKER_HOST = $saved
            }

            $record.FullyQualifiedErrorId | Should -BeLike 'DockerUnreachable,*'
            $record.CategoryInfo.Category | Should -Be 'ConnectionError'
            $record.ErrorDetails.RecommendedAction | Should -BeLike '*dockerd*'
            $elapsed.TotalSeconds | Should -BeLessThan 2
        }

        It 'names an unreachable libvirt fast' {
            $env:HYBRIDNET_LIBVIRT_URI = 'qemu+unix:///system?socket=/run/hntmissing/libvirt-sock'
            try {
                $elapsed = Measure-Command {
                    $script:record = Get-ErrorOf { Connect-HybridVM -Bridge $bridgeName -Domain x -ErrorAction Stop }
                }
            }
            finally {
                Remove-Item Env:HYBRIDNET_LIBVIRT_URI
            }

            $record.FullyQualifiedErrorId | Should -BeLike 'LibvirtUnreachable,*'
            $record.CategoryInfo.Category | Should -Be 'ConnectionError'
            $elapsed.TotalSeconds | Should -BeLessThan 2
        }
    }

    Context 'Privileges' {
        It 'names a missing CAP_NET_ADMIN fast' {
            # setpriv drops CAP_NET_ADMIN from the bounding set, so the child runs as root without it.
            $script = Join-Path $TestDrive 'nocap.ps1'
            Set-Content -Path $script -Value @'
param($Module, $Name)
Import-Module $Module
$elapsed = Measure-Command {
    try { New-HybridBridge -Name $Name -Subnet 10.250.9.0/24 -ErrorAction Stop } catch { $script:failure = $_ }
}
[pscustomobject]@{ ErrorId = $failure.FullyQualifiedErrorId; Category = "$($failure.CategoryInfo.Category)"; Seconds = $elapsed.TotalSeconds; Action = $failure.ErrorDetails.RecommendedAction } | ConvertTo-Json -Compress
'@
            $pwsh = [System.Environment]::GetCommandLineArgs()[0]
            $command = if ($pwsh -like '*.dll') { @('dotnet', $pwsh) } else { @($pwsh) }
            $output = & setpriv --bounding-set=-net_admin -- @command -NoProfile -NonInteractive -File $script (Get-TestModulePath) (New-TestName)
            $result = $output | Select-Object -Last 1 | ConvertFrom-Json
            $result.ErrorId | Should -BeLike 'InsufficientPrivilege,*'
            $result.Category | Should -Be 'PermissionDenied'
            $result.Action | Should -Match 'CAP_NET_ADMIN'
            $result.Seconds | Should -BeLessThan 2
        }
    }

    Context 'Nothing changed' {
        It 'leaves the host as it was' {
            $after = Get-HostSnapshot
            $after.Links | Should -Be $before.Links
            $after.LibvirtNetworks | Should -Be $before.LibvirtNetworks
            $after.DockerNetworks | Should -Be $before.DockerNetworks
            $after.Domains | Should -Be $before.Domains
        }
    }
}
