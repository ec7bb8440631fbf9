#Requires -Version 7.4
# The format views of the built module: every public output type has a default table view that
# fits 100 characters in at most six columns, and a list view with every property.

BeforeDiscovery {
    $repoRoot = Split-Path -Parent $PSScriptRoot
    $modulePath = if ($env:HYBRIDNET_MODULE_PATH) {
        $env:HYBRIDNET_MODULE_PATH
    }
    else {
        Join-Path $repoRoot 'out/HybridNet/HybridNet.psd1'
    }

    $module = Import-Module $modulePath -PassThru -Force
    # Output types are the public classes of the HybridNet namespace that cmdlets declare with
    # [OutputType], so a type added later without a view fails here.
    $outputTypes = @($module.ExportedCmdlets.Values.OutputType.Type |
            Where-Object { $_ -and $_.Namespace -eq 'HybridNet' } |
            Sort-Object FullName -Unique)
    $typeCases = foreach ($type in $outputTypes) {
        @{
            TypeName   = $type.FullName
            Properties = @($type.GetProperties().Name)
        }
    }
}

BeforeAll {
    $script:repoRoot = Split-Path -Parent $PSScriptRoot
    $script:modulePath = if ($env:HYBRIDNET_MODULE_PATH) {
        $env:HYBRIDNET_MODULE_PATH
    }
    else {
        Join-Path $repoRoot 'out/HybridNet/HybridNet.psd1'
    }

    $script:module = Import-Module $modulePath -PassThru -Force
    $formatFile = Join-Path $module.ModuleBase 'HybridNet.Format.ps1xml'
    $script:views = @(([xml](Get-Content -Raw $formatFile)).Configuration.ViewDefinitions.View)

    # A column without a fixed width takes what the console leaves, so it counts as 10 characters.
    $script:AutoColumnWidth = 10
}

Describe 'Format views of <TypeName>' -Tag 'Unit', 'Format' -ForEach $typeCases {
    BeforeAll {
        $typeViews = @($views | Where-Object { $_.ViewSelectedBy.TypeName -eq $TypeName })
        $table = $typeViews | Where-Object { $_['TableControl'] } | Select-Object -First 1
        $list = $typeViews | Where-Object { $_['ListControl'] } | Select-Object -First 1
    }

    It 'has a table view first' {
        $typeViews.Count | Should -BeGreaterThan 0
        $typeViews[0]['TableControl'] | Should -Not -BeNullOrEmpty -Because 'the first view of a type is its default'
    }

    It 'has at most six table columns' {
        @($table.TableControl.TableHeaders.TableColumnHeader).Count | Should -BeLessOrEqual 6
    }

    It 'has a table that fits 100 characters' {
        $headers = @($table.TableControl.TableHeaders.TableColumnHeader)
        $width = ($headers | ForEach-Object {
                if ($_['Width']) { [int]$_.Width } else { $AutoColumnWidth }
            } | Measure-Object -Sum).Sum + ($headers.Count - 1)
        $width | Should -BeLessOrEqual 100
    }

    It 'has a list view' {
        $list | Should -Not -BeNullOrEmpty
    }

    It 'lists every property' {
        # An item shows a property by name, or by a script block under a label of the same name.
        $listed = @($list.ListControl.ListEntries.ListEntry.ListItems.ListItem | ForEach-Object {
                if ($_['PropertyName']) { $_.PropertyName } else { $_.Label }
            })
        $missing = @($Properties | Where-Object { $_ -notin $listed })
        $missing | Should -BeNullOrEmpty
    }

    It 'names only real properties' {
        $named = @($table.TableControl.TableRowEntries.TableRowEntry.TableColumnItems.TableColumnItem |
                ForEach-Object { $_['PropertyName'] } | Where-Object { $_ } | ForEach-Object InnerText)
        $named += @($list.ListControl.ListEntries.ListEntry.ListItems.ListItem |
                ForEach-Object { $_['PropertyName'] } | Where-Object { $_ } | ForEach-Object InnerText)
        $unknown = @($named | Where-Object { $_ -notin $Properties })
        $unknown | Should -BeNullOrEmpty
    }
}

Describe 'Format file' -Tag 'Unit', 'Format' {
    It 'is loaded by the module' {
        $formatData = Get-FormatData -TypeName 'HybridNet.HybridBridge'
        $formatData | Should -Not -BeNullOrEmpty
    }
}
