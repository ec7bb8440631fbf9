#Requires -Version 7.4
<#
.SYNOPSIS
    Prints Test-HybridConnectivity results as a source-by-target matrix.

.DESCRIPTION
    Collects the HybridConnectivityResult objects piped in and, when the input ends, writes one
    line per source (the host first, then the members in name order) with one cell per target:

        ok      Reachable (with -ShowLatency, the round-trip time in milliseconds)
        FAIL    Unreachable; with Test-HybridConnectivity -Diagnose, the failed layer follows
        ?       Inconclusive: the probe could not run (see the result's Detail)
        -       the member itself, which is never probed
        .       no result for the pair, for example because it was not piped in

    When the host supports virtual terminal sequences ($Host.UI.SupportsVirtualTerminal) and
    $PSStyle.OutputRendering is not PlainText, the cells are coloured with $PSStyle: green for
    ok, red for FAIL and yellow for ?. Otherwise, or with -NoColor, the text is plain. Columns are
    padded on the visible text, so the colours do not break the alignment.

    The lines are written to the output stream, so they can be captured or sent to a file. A
    summary line with the counts per status follows the matrix.

    A VM and a container with the same name are told apart by their kind in brackets.

.PARAMETER InputObject
    Results of Test-HybridConnectivity. Other objects are rejected by parameter binding, because
    the matrix needs Source, Target and Status.

.PARAMETER ShowLatency
    Shows the round-trip time of Reachable probes, in milliseconds, instead of "ok".

.PARAMETER NoColor
    Writes plain text even when the host supports colours.

.EXAMPLE
    Test-HybridConnectivity -Bridge hybr0 | ./examples/Show-ConnectivityMatrix.ps1

    Probes every pair of members of hybr0 and the host to each, then prints the matrix.

.EXAMPLE
    Test-HybridConnectivity -Bridge hybr0 -Diagnose | ./examples/Show-ConnectivityMatrix.ps1 -ShowLatency

    Shows latencies for the reachable pairs and the layer that drops each failing pair.

.EXAMPLE
    $results = Get-HybridEndpoint -Bridge hybr0 | Test-HybridConnectivity
    $results | ./examples/Show-ConnectivityMatrix.ps1 -NoColor | Set-Content ./matrix.txt

    Keeps the results for later and writes a plain matrix to a file.
#>
[CmdletBinding()]
[OutputType([string])]
param(
    [Parameter(Mandatory, ValueFromPipeline)]
    [PSTypeName('HybridNet.HybridConnectivityResult')]
    [psobject] $InputObject,

    [switch] $ShowLatency,

    [switch] $NoColor
)

begin {
    Set-StrictMode -Version Latest
    $results = [System.Collections.Generic.List[object]]::new()
    $useColor = -not $NoColor -and $Host.UI.SupportsVirtualTerminal -and
        $PSStyle.OutputRendering -ne [System.Management.Automation.OutputRendering]::PlainText
    $hostLabel = 'host'
}

process {
    $results.Add($InputObject)
}

end {
    if ($results.Count -eq 0) {
        return
    }

    # A label per (kind, name): the name, or "name [Kind]" when two kinds share it.
    $members = @($results | ForEach-Object {
            [pscustomobject]@{ Kind = "$($_.SourceKind)"; Name = $_.Source }
            [pscustomobject]@{ Kind = "$($_.TargetKind)"; Name = $_.Target }
        } | Where-Object Kind -ne 'Host' | Sort-Object Name, Kind -Unique)
    $sharedNames = @($members | Group-Object Name | Where-Object Count -gt 1 | ForEach-Object Name)
    $labelOf = @{}
    foreach ($member in $members) {
        $labelOf["$($member.Kind)/$($member.Name)"] = if ($member.Name -in $sharedNames) {
            "$($member.Name) [$($member.Kind)]"
        }
        else {
            $member.Name
        }
    }

    $labelOf["Host/$hostLabel"] = $hostLabel
    $keyOf = { param($kind, $name) "$kind/$name" }

    $cells = @{}
    foreach ($result in $results) {
        $sourceKey = & $keyOf $result.SourceKind $result.Source
        $targetKey = & $keyOf $result.TargetKind $result.Target
        $text, $color = switch ("$($result.Status)") {
            'Reachable' {
                $value = if ($ShowLatency -and $null -ne $result.LatencyMs) {
                    [string]::Format([cultureinfo]::InvariantCulture, '{0:0.##}', $result.LatencyMs)
                }
                else {
                    'ok'
                }

                $value, $PSStyle.Foreground.Green
            }
            'Unreachable' {
                $layer = $result.PSObject.Properties['FailedLayer']
                $value = if ($layer -and $layer.Value) { "FAIL $($layer.Value)" } else { 'FAIL' }
                $value, $PSStyle.Foreground.Red
            }
            default { '?', $PSStyle.Foreground.Yellow }
        }

        $cells["$sourceKey|$targetKey"] = [pscustomobject]@{ Text = $text; Color = $color }
    }

    $sourceKeys = @(& $keyOf 'Host' $hostLabel) + @($members | ForEach-Object { & $keyOf $_.Kind $_.Name })
    # Only sources with at least one result get a row, so the host has none with -ExcludeHost.
    $sourceKeys = @($sourceKeys | Where-Object {
            $prefix = "$_|"
            @($cells.Keys | Where-Object { $_.StartsWith($prefix) }).Count -gt 0
        })
    $targetKeys = @($members | ForEach-Object { & $keyOf $_.Kind $_.Name })

    $rowWidth = ($sourceKeys | ForEach-Object { $labelOf[$_].Length } | Measure-Object -Maximum).Maximum
    $rowWidth = [math]::Max($rowWidth, 'source \ target'.Length)
    $columnWidths = foreach ($targetKey in $targetKeys) {
        $widest = ($cells.Keys | Where-Object { $_.EndsWith("|$targetKey") } |
                ForEach-Object { $cells[$_].Text.Length } | Measure-Object -Maximum).Maximum
        [math]::Max($labelOf[$targetKey].Length, [int]$widest)
    }

    $header = 'source \ target'.PadRight($rowWidth)
    for ($i = 0; $i -lt $targetKeys.Count; $i++) {
        $header += '  ' + $labelOf[$targetKeys[$i]].PadRight($columnWidths[$i])
    }

    $header.TrimEnd()
    ('-' * $rowWidth) + (($columnWidths | ForEach-Object { '  ' + ('-' * $_) }) -join '')
    foreach ($sourceKey in $sourceKeys) {
        $line = $labelOf[$sourceKey].PadRight($rowWidth)
        for ($i = 0; $i -lt $targetKeys.Count; $i++) {
            $targetKey = $targetKeys[$i]
            $cell = $cells["$sourceKey|$targetKey"]
            $text = if ($cell) { $cell.Text } elseif ($sourceKey -eq $targetKey) { '-' } else { '.' }
            # Pad on the visible text first, so escape sequences do not count as width.
            $padded = $text.PadRight($columnWidths[$i])
            if ($cell -and $useColor) {
                $padded = $cell.Color + $text + $PSStyle.Reset + $padded.Substring($text.Length)
            }

            $line += '  ' + $padded
        }

        $line.TrimEnd()
    }

    $counts = $results | Group-Object { "$($_.Status)" } | Sort-Object Name |
        ForEach-Object { "$($_.Count) $($_.Name)" }
    ''
    "$($results.Count) probes: $($counts -join ', ')"
}
