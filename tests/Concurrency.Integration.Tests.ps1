#Requires -Version 7.4
# Sixteen Connect-* calls in parallel, automatic and explicit addresses mixed, end with sixteen
# distinct addresses and no error.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $script:labReady = (Test-DockerAvailable) -and (Test-LibvirtAvailable)
}

Describe 'Parallel connects' -Tag 'Integration', 'Docker', 'Libvirt', 'Slow' -Skip:(-not $labReady) {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        Import-TestLab
        Import-Module (Get-TestModulePath) -Force
        New-HybridLabImage | Out-Null
        New-HybridLabGuestAsset | Out-Null

        $script:bridgeName = New-TestName
        $script:bridge = New-HybridBridge -Name $bridgeName -SubnetPool 10.250.0.0/16 -ErrorAction Stop
        $prefix = $bridge.Subnet.Split('/')[0] -replace '\.0$', ''

        # Twelve containers and four shut-off domains; every other member asks for an address
        # from the static range, the rest take one from their allocator.
        $script:jobs = @()
        for ($i = 0; $i -lt 12; $i++) {
            $name = New-TestContainer -Name (New-TestName)
            $jobs += [pscustomobject]@{ Kind = 'Container'; Name = $name; Address = ($i % 2 -eq 0) ? "$prefix.$(10 + $i)" : $null }
        }

        for ($i = 0; $i -lt 4; $i++) {
            $name = New-TestName
            New-HybridLabVM -Name $name | Out-Null
            $jobs += [pscustomobject]@{ Kind = 'VM'; Name = $name; Address = ($i % 2 -eq 0) ? "$prefix.$(40 + $i)" : $null }
        }

        $modulePath = Get-TestModulePath
        $script:results = $jobs | ForEach-Object -ThrottleLimit 16 -Parallel {
            Import-Module $using:modulePath
            $job = $_
            $splat = @{ Bridge = $using:bridgeName; ErrorAction = 'Continue'; ErrorVariable = 'failure' }
            if ($job.Address) {
                $splat.IPAddress = $job.Address
            }

            $endpoint = if ($job.Kind -eq 'Container') {
                Connect-HybridContainer -Container $job.Name @splat
            }
            else {
                Connect-HybridVM -Domain $job.Name @splat
            }

            [pscustomobject]@{ Job = $job; Endpoint = $endpoint; Errors = @($failure) }
        }
    }

    AfterAll {
        Get-HybridBridge -Name $bridgeName -ErrorAction SilentlyContinue | Remove-HybridBridge -Force -Confirm:$false
        foreach ($job in $jobs) {
            if ($job.Kind -eq 'Container') {
                & docker rm -f $job.Name *> $null
            }
            else {
                Remove-HybridLabVM -Name $job.Name -ErrorAction SilentlyContinue
            }
        }
    }

    It 'reports no error' {
        $results.Errors | ForEach-Object { "$_" } | Should -BeNullOrEmpty
    }

    It 'returns sixteen endpoints' {
        @($results.Endpoint | Where-Object { $_ }).Count | Should -Be 16
    }

    It 'hands out sixteen distinct addresses' {
        $addresses = @($results.Endpoint.IPAddress | Where-Object { $_ })
        $addresses.Count | Should -Be 16
        @($addresses | Sort-Object -Unique).Count | Should -Be 16
    }

    It 'honours every explicit address' {
        foreach ($result in $results | Where-Object { $_.Job.Address }) {
            $result.Endpoint.IPAddress | Should -Be $result.Job.Address
        }
    }

    It 'lists no address conflict' {
        Get-HybridAddress -Bridge $bridgeName -ConflictOnly | Should -BeNullOrEmpty
        @(Get-HybridAddress -Bridge $bridgeName | Where-Object Kind -in 'VM', 'Container').Count | Should -Be 16
    }
}
