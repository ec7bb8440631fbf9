#Requires -Version 7.4
# Hostile strings go through every cmdlet. Each call fails with a clear error (validation) or
# treats the string as a literal name that does not exist; nothing is ever run by a shell and
# nothing on the host changes.

BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $script:labReady = (Test-DockerAvailable) -and (Test-LibvirtAvailable)
    $marker = '/tmp/hnt-hostile-marker'
    $hostile = @(
        @{ Label = 'single quote'; Value = "hnt'x" }
        @{ Label = 'double quote'; Value = 'hnt"x' }
        @{ Label = 'semicolon'; Value = "hnt;touch $marker" }
        @{ Label = 'command substitution'; Value = "hnt`$(touch $marker)" }
        @{ Label = 'backticks'; Value = "hnt``touch $marker``" }
        @{ Label = 'newline'; Value = "hnt`ntouch $marker" }
        @{ Label = 'leading dash'; Value = '--help' }
        @{ Label = 'option-like'; Value = '-rf' }
        @{ Label = 'unicode'; Value = 'hntünïcødé' }
        @{ Label = 'path traversal'; Value = '../../hnt' }
        @{ Label = 'over-long'; Value = 'hnt' + ('x' * 300) }
        @{ Label = 'empty-looking'; Value = ' ' }
    )
    $script:cases = foreach ($case in $hostile) {
        foreach ($call in @(
                'New-HybridBridge -Name'
                'New-HybridBridge -Domain'
                'New-HybridBridge -Subnet'
                'Get-HybridBridge -Name'
                'Set-HybridBridge -Name'
                'Set-HybridBridge -AllowNetwork'
                'Remove-HybridBridge -Name'
                'Repair-HybridBridge -Name'
                'Connect-HybridContainer -Container'
                'Connect-HybridContainer -Bridge'
                'Connect-HybridContainer -IPAddress'
                'Connect-HybridVM -Domain'
                'Connect-HybridVM -Bridge'
                'Disconnect-HybridContainer -Container'
                'Disconnect-HybridVM -Domain'
                'Get-HybridEndpoint -Bridge'
                'Get-HybridAddress -Bridge'
                'Test-HybridConnectivity -Bridge'
            )) {
            @{ Call = $call; Label = $case.Label; Value = $case.Value; Marker = $marker }
        }
    }
}

Describe 'Hostile input' -Tag 'Integration', 'Docker', 'Libvirt', 'Security' -Skip:(-not $labReady) {
    BeforeAll {
        Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
        Import-Module (Get-TestModulePath) -Force
        $script:bridgeName = New-TestName
        $script:bridge = New-HybridBridge -Name $bridgeName -SubnetPool 10.250.0.0/16 -ErrorAction Stop
        $script:container = New-TestContainer -Name (New-TestName)

        function Invoke-Hostile {
            param([string] $Call, [string] $Value)

            $command, $parameter = $Call -split ' -'
            # Every other mandatory parameter gets a valid value, so the hostile one is what fails.
            $arguments = switch ($command) {
                'New-HybridBridge' { @{ Name = (New-TestName); SubnetPool = '10.250.0.0/16' } }
                'Set-HybridBridge' { @{ Name = $bridgeName } }
                'Connect-HybridContainer' { @{ Bridge = $bridgeName; Container = $container } }
                'Connect-HybridVM' { @{ Bridge = $bridgeName; Domain = 'hntnosuchvm' } }
                'Disconnect-HybridContainer' { @{ Bridge = $bridgeName } }
                'Disconnect-HybridVM' { @{ Bridge = $bridgeName } }
                default { @{} }
            }
            $arguments[$parameter] = $Value
            if ($command -match '^(New|Set|Remove|Repair|Connect|Disconnect)-') {
                $arguments.Confirm = $false
            }

            $errors = @()
            try {
                & $command @arguments -ErrorAction SilentlyContinue -ErrorVariable +errors | Out-Null
            }
            catch {
                $errors += $_
            }

            return $errors
        }

        Remove-Item -Force -ErrorAction SilentlyContinue /tmp/hnt-hostile-marker
        $script:before = Get-HostSnapshot
        $script:foreignRule = 'hnb|hnp|hns|hnlab|br-[0-9a-f]{12}'
        $script:rulesBefore = (& iptables -S | Where-Object { $_ -notmatch $foreignRule } | Sort-Object) -join "`n"
    }

    AfterAll {
        Remove-HybridBridge -Name $bridgeName -Force -Confirm:$false -ErrorAction SilentlyContinue
        & docker rm -f $container *> $null
        Remove-Item -Force -ErrorAction SilentlyContinue /tmp/hnt-hostile-marker
    }

    It '<Call> rejects <Label>' -ForEach $cases {
        $errors = Invoke-Hostile -Call $Call -Value $Value
        $errors.Count | Should -BeGreaterThan 0
        $errors[0].FullyQualifiedErrorId | Should -Not -BeLike 'CommandFailed*'
        $errors[0].Exception.Message | Should -Not -BeNullOrEmpty
        $Marker | Should -Not -Exist
    }

    It 'left the host unchanged' {
        $after = Get-HostSnapshot
        $after.Links | Should -Be $before.Links
        $after.LibvirtNetworks | Should -Be $before.LibvirtNetworks
        $after.DockerNetworks | Should -Be $before.DockerNetworks
        $after.Containers | Should -Be $before.Containers
        (& iptables -S | Where-Object { $_ -notmatch $foreignRule } | Sort-Object) -join "`n" | Should -Be $rulesBefore
        (& docker inspect --format '{{json .NetworkSettings.Networks}}' $container) -join '' | Should -Not -Match $bridgeName
    }
}
