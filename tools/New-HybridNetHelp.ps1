#Requires -Version 7.4
<#
.SYNOPSIS
    Builds the MAML help file of the HybridNet cmdlets from the built module and docs/*.md.

.DESCRIPTION
    Imports the module in the current process and writes one command:command element per
    exported cmdlet into a MAML file (helpItems root, maml/command/dev namespaces), which is the
    format Get-Help reads for a binary module (en-US/HybridNet.dll-Help.xml).

    Everything about parameters comes from Get-Command metadata: parameter sets, position,
    mandatory, pipeline input, aliases, types, wildcard support ([SupportsWildcards]), accepted
    values (enums and ValidateSet) and default values. Default values are read from a new
    instance of the cmdlet class, so property initializers count. The prose comes from
    docs/<Cmdlet>.md in platyPS markdown schema 2.0.0: synopsis, description, examples, parameter
    descriptions, inputs, outputs, notes and related links.

    Common parameters are not documented per cmdlet. -WhatIf and -Confirm still appear in the
    syntax, as Get-Command -Syntax shows them.

    The SYNTAX section and the yaml block of each parameter in the markdown are derived from the
    metadata as well. -UpdateMarkdown rewrites them, adds a placeholder section for each
    undocumented parameter, and creates a skeleton doc for a cmdlet that has none. Prose is kept.

    Markdown handling: paragraphs are separated by blank lines, and the lines of a paragraph are
    joined with spaces. List items ("- ", "* " or "1. ") keep their own lines. Inline code
    backticks are removed in the MAML text, because Get-Help prints plain text. Text in
    "{{ ... }}" is a placeholder and counts as missing.

    The output is deterministic: UTF-8 without BOM, LF line ends, cmdlets in ordinal name order,
    written with System.Xml.XmlWriter.

    Exit codes: 0 when the help is complete (and, with -Check, the file on disk is identical to
    the regenerated one); 1 otherwise, after listing every problem. Without -Check the file is
    written even when problems are found.

    Run it in a fresh pwsh: a binary module cannot be unloaded, so a process that already loaded
    another build of HybridNet.dll would describe that build.

.PARAMETER ModulePath
    Manifest (.psd1) of the built module. Default: out/HybridNet/HybridNet.psd1 in the repository.

.PARAMETER DocsPath
    Folder of the markdown sources, one <Cmdlet>.md per cmdlet. Default: docs in the repository.

.PARAMETER OutputPath
    MAML file to write or check. Default: en-US/HybridNet.dll-Help.xml in the repository.

.PARAMETER Check
    Writes nothing. Regenerates the help in memory and fails when the file at -OutputPath
    differs, or when the docs are incomplete or disagree with the cmdlets.

.PARAMETER UpdateMarkdown
    Rewrites the metadata-derived parts of docs/*.md (SYNTAX, parameter yaml blocks, missing
    parameter sections) and creates skeleton docs for undocumented cmdlets before generating.

.EXAMPLE
    dotnet pwsh -NoProfile -File tools/New-HybridNetHelp.ps1 -ModulePath out/HybridNet/HybridNet.psd1 -DocsPath docs -OutputPath en-US/HybridNet.dll-Help.xml

.EXAMPLE
    dotnet pwsh -NoProfile -File tools/New-HybridNetHelp.ps1 -ModulePath out/HybridNet/HybridNet.psd1 -Check
#>
[CmdletBinding()]
param(
    [string] $ModulePath,
    [string] $DocsPath,
    [string] $OutputPath,
    [switch] $Check,
    [switch] $UpdateMarkdown
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

$RepoRoot = Split-Path -Parent $PSScriptRoot
$Namespaces = [ordered]@{
    Root    = 'http://msh'
    maml    = 'http://schemas.microsoft.com/maml/2004/10'
    command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    dev     = 'http://schemas.microsoft.com/maml/dev/2004/10'
}
$ExpectedFrontMatter = [ordered]@{
    'external help file' = 'HybridNet.dll-Help.xml'
    'Module Name'        = 'HybridNet'
    'schema'             = '2.0.0'
}
$AllSetsName = '__AllParameterSets'
$PlaceholderPattern = '^\{\{.*\}\}$'
$SyntaxWidth = 100
$CommonParametersText = 'This cmdlet supports the common parameters: -Debug, -ErrorAction, -ErrorVariable, ' +
    '-InformationAction, -InformationVariable, -OutBuffer, -OutVariable, -PipelineVariable, ' +
    '-ProgressAction, -Verbose, -WarningAction, and -WarningVariable. For more information, see ' +
    '[about_CommonParameters](http://go.microsoft.com/fwlink/?LinkID=113216).'

function Test-SameBytes([byte[]] $Left, [byte[]] $Right) {
    return [System.Linq.Enumerable]::SequenceEqual[byte]($Left, $Right)
}

function Resolve-FullPath([string] $Path, [string] $Default) {
    if (-not $Path) {
        return $Default
    }

    return $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($Path)
}

#region Metadata

# Names of the parameters every cmdlet gets from PowerShell, which are not documented per cmdlet.
function Get-CommonParameterName {
    return [System.Management.Automation.PSCmdlet]::CommonParameters +
        [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
}

# Formats a type name: the short form for markdown and command:parameterValue, the full form for
# dev:type.
function Get-TypeDisplayName([type] $Type, [switch] $FullName) {
    if ($Type.IsArray) {
        return (Get-TypeDisplayName $Type.GetElementType() -FullName:$FullName) + '[]'
    }

    # A Nullable<T> parameter only tells "not given" from a value, so help shows T, as
    # Get-Command -Syntax does.
    $underlying = [Nullable]::GetUnderlyingType($Type)
    if ($underlying) {
        return Get-TypeDisplayName $underlying -FullName:$FullName
    }

    if ($Type.IsGenericType) {
        $name = if ($FullName) { $Type.Namespace + '.' + $Type.Name } else { $Type.Name }
        $arguments = $Type.GetGenericArguments() | ForEach-Object { Get-TypeDisplayName $_ -FullName:$FullName }
        return ($name -replace '`\d+$', '') + '[' + ($arguments -join ', ') + ']'
    }

    if ($FullName) {
        return $Type.FullName
    }

    return $Type.Name
}

# Formats a property value read from a fresh cmdlet instance as a "Default value" string.
function Format-DefaultValue($Value) {
    if ($null -eq $Value) {
        return 'None'
    }

    if ($Value -is [System.Management.Automation.SwitchParameter]) {
        return [string]$Value.IsPresent
    }

    if ($Value -is [string]) {
        if ($Value.Length -eq 0) {
            return 'None'
        }

        return $Value
    }

    if ($Value -is [System.Collections.IEnumerable]) {
        $items = @($Value | ForEach-Object { [System.Convert]::ToString($_, [cultureinfo]::InvariantCulture) })
        if ($items.Count -eq 0) {
            return 'None'
        }

        return $items -join ', '
    }

    return [System.Convert]::ToString($Value, [cultureinfo]::InvariantCulture)
}

# Creates the cmdlet object without running it, to read the initial values of its properties.
function New-CmdletInstance([System.Management.Automation.CmdletInfo] $Command) {
    try {
        return [System.Activator]::CreateInstance($Command.ImplementingType)
    }
    catch {
        Write-Warning "Cannot create $($Command.ImplementingType) to read default values: $($_.Exception.Message). Defaults show as None."
        return $null
    }
}

# Returns the parameter sets of a cmdlet, the default set first, then in metadata order.
function Get-OrderedParameterSet([System.Management.Automation.CmdletInfo] $Command) {
    $sets = @($Command.ParameterSets)
    $default = @($sets | Where-Object IsDefault)
    $others = @($sets | Where-Object { -not $_.IsDefault })
    return $default + $others
}

# Describes one parameter of a cmdlet: type, attributes shared by all sets, and one entry per set.
function Get-ParameterModel {
    param(
        [System.Management.Automation.ParameterMetadata] $Metadata,
        $Instance,
        [object[]] $OrderedSets
    )

    $type = $Metadata.ParameterType
    $elementType = if ($type.IsArray) { $type.GetElementType() } else { $type }
    if ([Nullable]::GetUnderlyingType($elementType)) {
        $elementType = [Nullable]::GetUnderlyingType($elementType)
    }
    $acceptedValues = @()
    $validateSet = $Metadata.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } |
        Select-Object -First 1
    if ($validateSet) {
        $acceptedValues = @($validateSet.ValidValues)
    }
    elseif ($elementType.IsEnum) {
        $acceptedValues = @([System.Enum]::GetNames($elementType))
    }

    $isSwitch = $type -eq [System.Management.Automation.SwitchParameter]
    $sets = foreach ($set in $OrderedSets) {
        $inSet = $set.Parameters | Where-Object Name -EQ $Metadata.Name
        if ($inSet) {
            [pscustomobject]@{
                SetName          = $set.Name
                IsMandatory      = $inSet.IsMandatory
                Position         = if ($inSet.Position -ge 0) { [string]$inSet.Position } else { 'named' }
                ByValue          = $inSet.ValueFromPipeline
                ByPropertyName   = $inSet.ValueFromPipelineByPropertyName
            }
        }
    }

    $default = 'None'
    $isMandatoryAnywhere = [bool]($sets | Where-Object IsMandatory)
    $property = if ($null -ne $Instance) { $Instance.PSObject.Properties[$Metadata.Name] } else { $null }
    if (-not $isMandatoryAnywhere -and $null -ne $property) {
        $default = Format-DefaultValue $property.Value
    }

    return [pscustomobject]@{
        Name           = $Metadata.Name
        TypeName       = Get-TypeDisplayName $type
        TypeFullName   = Get-TypeDisplayName $type -FullName
        IsSwitch       = $isSwitch
        IsArray        = $type.IsArray
        Aliases        = @($Metadata.Aliases)
        Globbing       = [bool]($Metadata.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] })
        AcceptedValues = $acceptedValues
        DefaultValue   = $default
        InAllSets      = $Metadata.ParameterSets.ContainsKey($AllSetsName) -or $OrderedSets.Count -eq 1
        Sets           = @($sets)
    }
}

# Formats pipeline flags as MAML's pipelineInput attribute ("true (ByValue)" and so on).
function Format-PipelineInput([bool] $ByValue, [bool] $ByPropertyName) {
    if ($ByValue -and $ByPropertyName) {
        return 'true (ByValue, ByPropertyName)'
    }

    if ($ByValue) {
        return 'true (ByValue)'
    }

    if ($ByPropertyName) {
        return 'true (ByPropertyName)'
    }

    return 'false'
}

# Collects everything the help needs from one cmdlet's metadata.
function Get-CommandModel([System.Management.Automation.CmdletInfo] $Command) {
    $common = Get-CommonParameterName
    $orderedSets = Get-OrderedParameterSet $Command
    $instance = New-CmdletInstance $Command
    $parameters = foreach ($metadata in $Command.Parameters.Values) {
        if ($metadata.Name -notin $common) {
            Get-ParameterModel -Metadata $metadata -Instance $instance -OrderedSets $orderedSets
        }
    }

    $parameters = @($parameters)
    $syntax = foreach ($set in $orderedSets) {
        $names = @($set.Parameters.Name)
        $inSet = @($parameters | Where-Object { $_.Name -in $names })
        $positional = @($inSet | Where-Object { ($_.Sets | Where-Object SetName -EQ $set.Name).Position -ne 'named' } |
            Sort-Object { [int]($_.Sets | Where-Object SetName -EQ $set.Name).Position })
        $mandatory = @($inSet | Where-Object { $_ -notin $positional -and ($_.Sets | Where-Object SetName -EQ $set.Name).IsMandatory })
        $optional = @($inSet | Where-Object { $_ -notin $positional -and $_ -notin $mandatory })
        [pscustomobject]@{
            SetName    = $set.Name
            IsDefault  = $set.IsDefault
            Parameters = @($positional + $mandatory + $optional)
            ShouldProcessSwitches = @('WhatIf', 'Confirm' | Where-Object { $_ -in $names })
        }
    }

    $byValueTypes = @($parameters | Where-Object { $_.Sets | Where-Object ByValue } | ForEach-Object TypeFullName)
    $pipelineTypes = @($parameters | Where-Object { $_.Sets | Where-Object { $_.ByValue -or $_.ByPropertyName } } |
        ForEach-Object TypeFullName | Select-Object -Unique)
    $outputTypes = @($Command.OutputType | ForEach-Object {
            if ($_.Type) { Get-TypeDisplayName $_.Type -FullName } else { $_.Name }
        } | Select-Object -Unique)

    return [pscustomobject]@{
        Name          = $Command.Name
        Verb          = $Command.Verb
        Noun          = $Command.Noun
        Parameters    = $parameters
        Syntax        = @($syntax)
        ByValueTypes  = $byValueTypes
        PipelineTypes = $pipelineTypes
        OutputTypes   = $outputTypes
    }
}

#endregion

#region Markdown derived from metadata

function Format-SyntaxToken($Parameter, [string] $SetName) {
    $set = $Parameter.Sets | Where-Object SetName -EQ $SetName
    $name = "-$($Parameter.Name)"
    if ($set.Position -ne 'named') {
        $name = "[$name]"
    }

    $token = if ($Parameter.IsSwitch) { $name } else { "$name <$($Parameter.TypeName)>" }
    if (-not $set.IsMandatory) {
        $token = "[$token]"
    }

    return $token
}

# Renders one parameter set for the SYNTAX section: tokens wrapped at $SyntaxWidth columns,
# continuation lines indented by one space.
function Format-SyntaxLine($Command, $Syntax) {
    $tokens = @($Syntax.Parameters | ForEach-Object { Format-SyntaxToken $_ $Syntax.SetName })
    $tokens += @($Syntax.ShouldProcessSwitches | ForEach-Object { "[-$_]" })
    $tokens += '[<CommonParameters>]'
    $lines = [System.Collections.Generic.List[string]]::new()
    $line = $Command.Name
    foreach ($token in $tokens) {
        if (($line.Length + 1 + $token.Length) -gt $SyntaxWidth) {
            $lines.Add($line)
            $line = " $token"
        }
        else {
            $line = "$line $token"
        }
    }

    $lines.Add($line)
    return $lines -join "`n"
}

function Format-SyntaxSection($Command) {
    $blocks = foreach ($syntax in $Command.Syntax) {
        $heading = "### $($syntax.SetName)"
        if ($syntax.IsDefault) {
            $heading += ' (Default)'
        }

        "$heading`n" + '```' + "`n" + (Format-SyntaxLine $Command $syntax) + "`n" + '```'
    }

    return ($blocks -join "`n`n")
}

# Renders the yaml blocks of one parameter. Sets with identical attributes share one block, and a
# parameter declared for all sets shows "(All)".
function Format-ParameterYaml($Parameter) {
    $groups = [ordered]@{}
    foreach ($set in $Parameter.Sets) {
        $key = '{0}|{1}|{2}|{3}' -f $set.IsMandatory, $set.Position, $set.ByValue, $set.ByPropertyName
        if (-not $groups.Contains($key)) {
            $groups[$key] = [System.Collections.Generic.List[object]]::new()
        }

        $groups[$key].Add($set)
    }

    $blocks = foreach ($group in $groups.Values) {
        $first = $group[0]
        $setNames = if ($Parameter.InAllSets) { '(All)' } else { ($group.SetName) -join ', ' }
        $lines = @(
            "Type: $($Parameter.TypeName)"
            "Parameter Sets: $setNames"
            "Aliases: $($Parameter.Aliases -join ', ')".TrimEnd()
        )
        if ($Parameter.AcceptedValues.Count -gt 0) {
            $lines += "Accepted values: $($Parameter.AcceptedValues -join ', ')"
        }

        $pipeline = (Format-PipelineInput $first.ByValue $first.ByPropertyName) -replace '^(true|false)', { $_.Value.Substring(0, 1).ToUpperInvariant() + $_.Value.Substring(1) }
        $lines += @(
            ''
            "Required: $($first.IsMandatory)"
            "Position: $($first.Position -replace '^named$', 'Named')"
            "Default value: $($Parameter.DefaultValue)"
            "Accept pipeline input: $pipeline"
            "Accept wildcard characters: $($Parameter.Globbing)"
        )
        '```yaml' + "`n" + ($lines -join "`n") + "`n" + '```'
    }

    return ($blocks -join "`n`n")
}

#endregion

#region Markdown parsing

# Splits markdown into sections by heading level, ignoring headings inside code fences.
# Returns an ordered dictionary: heading text -> list of lines.
function Split-MarkdownSection([string[]] $Lines, [int] $Level) {
    $prefix = ('#' * $Level) + ' '
    $sections = [ordered]@{}
    $current = $null
    $inFence = $false
    foreach ($line in $Lines) {
        if ($line -match '^\s*```') {
            $inFence = -not $inFence
        }

        if (-not $inFence -and $line.StartsWith($prefix)) {
            $current = $line.Substring($prefix.Length).Trim()
            $sections[$current] = [System.Collections.Generic.List[string]]::new()
            continue
        }

        if ($null -ne $current) {
            $sections[$current].Add($line)
        }
    }

    return $sections
}

function Remove-InlineMarkup([string] $Text) {
    return [regex]::Replace($Text, '`([^`]+)`', '$1')
}

function Test-Placeholder([string] $Text) {
    return $Text.Trim() -match $PlaceholderPattern
}

# Converts markdown lines to MAML paragraphs. A fenced block becomes one paragraph with its line
# breaks kept; list items keep their own lines; other lines of a paragraph are joined by spaces.
function ConvertTo-Paragraph([string[]] $Lines) {
    $paragraphs = [System.Collections.Generic.List[string]]::new()
    $items = [System.Collections.Generic.List[string]]::new()
    $fence = $null

    $flush = {
        if ($items.Count -gt 0) {
            $paragraphs.Add((Remove-InlineMarkup ($items -join "`n")).Trim())
            $items.Clear()
        }
    }

    foreach ($line in $Lines) {
        if ($null -ne $fence) {
            if ($line -match '^\s*```') {
                $paragraphs.Add($fence -join "`n")
                $fence = $null
            }
            else {
                $fence.Add($line)
            }

            continue
        }

        if ($line -match '^\s*```') {
            & $flush
            $fence = [System.Collections.Generic.List[string]]::new()
            continue
        }

        if ($line.Trim().Length -eq 0) {
            & $flush
            continue
        }

        if ($line -match '^\s*([-*]|\d+\.)\s' -or $items.Count -eq 0) {
            $items.Add($line.Trim())
        }
        else {
            $items[$items.Count - 1] = $items[$items.Count - 1] + ' ' + $line.Trim()
        }
    }

    & $flush
    return , @($paragraphs | Where-Object { $_.Length -gt 0 })
}

# Splits an example section into its code (all fenced blocks) and remarks (all other text).
function ConvertTo-Example([string] $Title, [string[]] $Lines) {
    $code = [System.Collections.Generic.List[string]]::new()
    $remarks = [System.Collections.Generic.List[string]]::new()
    $fence = $null
    foreach ($line in $Lines) {
        if ($line -match '^\s*```') {
            if ($null -eq $fence) {
                $fence = [System.Collections.Generic.List[string]]::new()
            }
            else {
                $code.Add(($fence -join "`n"))
                $fence = $null
            }

            continue
        }

        if ($null -ne $fence) {
            $fence.Add($line)
        }
        else {
            $remarks.Add($line)
        }
    }

    return [pscustomobject]@{
        Title   = $Title
        Code    = ($code -join "`n`n")
        Remarks = ConvertTo-Paragraph $remarks
    }
}

# Reads "### TypeName" entries with their descriptions (INPUTS and OUTPUTS).
function ConvertTo-TypeEntry([string[]] $Lines) {
    $entries = foreach ($entry in (Split-MarkdownSection $Lines 3).GetEnumerator()) {
        [pscustomobject]@{
            TypeName    = $entry.Key
            Description = ConvertTo-Paragraph $entry.Value
        }
    }

    return , @($entries)
}

function ConvertTo-Link([string[]] $Lines) {
    $links = foreach ($line in $Lines) {
        $text = $line.Trim()
        if ($text.Length -eq 0) {
            continue
        }

        if ($text -match '^\[(?<text>[^\]]+)\]\((?<uri>[^)]*)\)$') {
            $uri = if ($Matches.uri -match '^https?://') { $Matches.uri } else { '' }
            [pscustomobject]@{ Text = $Matches.text; Uri = $uri }
        }
        else {
            [pscustomobject]@{ Text = $text; Uri = '' }
        }
    }

    return , @($links)
}

# Parses one platyPS schema 2.0.0 document into its parts.
function Read-HelpMarkdown([string] $Path) {
    $text = [System.IO.File]::ReadAllText($Path) -replace "`r`n", "`n"
    $lines = $text.Split("`n")
    $frontMatter = [ordered]@{}
    $bodyStart = 0
    if ($lines.Count -gt 0 -and $lines[0] -eq '---') {
        for ($i = 1; $i -lt $lines.Count; $i++) {
            if ($lines[$i] -eq '---') {
                $bodyStart = $i + 1
                break
            }

            if ($lines[$i] -match '^(?<key>[^:]+):\s*(?<value>.*)$') {
                $frontMatter[$Matches.key.Trim()] = $Matches.value.Trim()
            }
        }
    }

    $body = @($lines | Select-Object -Skip $bodyStart)
    $title = ($body | Where-Object { $_ -match '^# ' } | Select-Object -First 1)
    $sections = Split-MarkdownSection $body 2

    function Get-Section([string] $Name) {
        if ($sections.Contains($Name)) {
            return [string[]]$sections[$Name]
        }

        return [string[]]@()
    }

    $examples = foreach ($entry in (Split-MarkdownSection (Get-Section 'EXAMPLES') 3).GetEnumerator()) {
        ConvertTo-Example $entry.Key ([string[]]$entry.Value)
    }

    $parameters = [ordered]@{}
    foreach ($entry in (Split-MarkdownSection (Get-Section 'PARAMETERS') 3).GetEnumerator()) {
        if ($entry.Key -notmatch '^-(?<name>\S+)$') {
            continue
        }

        $parameterName = $Matches.name
        $prose = [System.Collections.Generic.List[string]]::new()
        $yaml = [System.Collections.Generic.List[string]]::new()
        $inYaml = $false
        $seenYaml = $false
        foreach ($line in $entry.Value) {
            if ($line -match '^```yaml\s*$') {
                $inYaml = $true
                $seenYaml = $true
                $yaml.Add($line)
                continue
            }

            if ($inYaml) {
                $yaml.Add($line)
                if ($line -match '^```\s*$') {
                    $inYaml = $false
                }

                continue
            }

            if (-not $seenYaml) {
                $prose.Add($line)
            }
            elseif ($line.Trim().Length -gt 0) {
                $yaml.Add($line)
            }
            elseif ($yaml.Count -gt 0 -and $yaml[$yaml.Count - 1] -ne '') {
                $yaml.Add('')
            }
        }

        $parameters[$parameterName] = [pscustomobject]@{
            Prose       = [string[]]$prose
            Description = ConvertTo-Paragraph $prose
            Yaml        = (($yaml -join "`n").Trim())
        }
    }

    $synopsis = ConvertTo-Paragraph (Get-Section 'SYNOPSIS')
    return [pscustomobject]@{
        Path         = $Path
        FrontMatter  = $frontMatter
        Title        = if ($title) { $title.Substring(2).Trim() } else { '' }
        Sections     = $sections
        Synopsis     = ($synopsis -join ' ')
        Description  = ConvertTo-Paragraph (Get-Section 'DESCRIPTION')
        Syntax       = ((Get-Section 'SYNTAX') -join "`n").Trim()
        Examples     = @($examples)
        Parameters   = $parameters
        Inputs       = ConvertTo-TypeEntry (Get-Section 'INPUTS')
        Outputs      = ConvertTo-TypeEntry (Get-Section 'OUTPUTS')
        Notes        = ConvertTo-Paragraph (Get-Section 'NOTES')
        RelatedLinks = ConvertTo-Link (Get-Section 'RELATED LINKS')
    }
}

#endregion

#region Markdown update

function Format-TypeEntrySection([string[]] $TypeNames) {
    if ($TypeNames.Count -eq 0) {
        return "### None`n`n{{ Describe the input or output. }}"
    }

    return ($TypeNames | ForEach-Object { "### $_`n`n{{ Describe this type. }}" }) -join "`n`n"
}

function Get-SectionText($Doc, [string] $Name, [string] $Fallback) {
    if ($null -ne $Doc -and $Doc.Sections.Contains($Name)) {
        $text = ($Doc.Sections[$Name] -join "`n").Trim()
        if ($text.Length -gt 0) {
            return $text
        }
    }

    return $Fallback
}

# Rebuilds a doc: the metadata-derived parts are regenerated, the prose is kept. Returns the text.
function Format-HelpMarkdown($Command, $Doc) {
    $frontMatter = [ordered]@{}
    if ($null -ne $Doc) {
        foreach ($key in $Doc.FrontMatter.Keys) {
            $frontMatter[$key] = $Doc.FrontMatter[$key]
        }
    }

    foreach ($key in $ExpectedFrontMatter.Keys) {
        $frontMatter[$key] = $ExpectedFrontMatter[$key]
    }

    if (-not $frontMatter.Contains('online version')) {
        $frontMatter['online version'] = ''
    }

    $builder = [System.Text.StringBuilder]::new()
    [void]$builder.Append("---`n")
    foreach ($key in 'external help file', 'Module Name', 'online version', 'schema') {
        [void]$builder.Append("${key}: $($frontMatter[$key])".TrimEnd() + "`n")
    }

    foreach ($key in $frontMatter.Keys | Where-Object { $_ -notin 'external help file', 'Module Name', 'online version', 'schema' }) {
        [void]$builder.Append("${key}: $($frontMatter[$key])".TrimEnd() + "`n")
    }

    [void]$builder.Append("---`n`n# $($Command.Name)`n`n")
    [void]$builder.Append("## SYNOPSIS`n`n$(Get-SectionText $Doc 'SYNOPSIS' '{{ Fill in the synopsis. }}')`n`n")
    [void]$builder.Append("## SYNTAX`n`n$(Format-SyntaxSection $Command)`n`n")
    [void]$builder.Append("## DESCRIPTION`n`n$(Get-SectionText $Doc 'DESCRIPTION' '{{ Fill in the description. }}')`n`n")
    $exampleFallback = "### Example 1: {{ Title }}`n`n" + '```powershell' + "`n{{ Code }}`n" + '```' + "`n`n{{ Remarks }}"
    [void]$builder.Append("## EXAMPLES`n`n$(Get-SectionText $Doc 'EXAMPLES' $exampleFallback)`n`n")
    [void]$builder.Append("## PARAMETERS`n`n")
    foreach ($parameter in $Command.Parameters) {
        $prose = '{{ Describe the parameter. }}'
        if ($null -ne $Doc -and $Doc.Parameters.Contains($parameter.Name)) {
            $kept = ($Doc.Parameters[$parameter.Name].Prose -join "`n").Trim()
            if ($kept.Length -gt 0) {
                $prose = $kept
            }
        }

        [void]$builder.Append("### -$($parameter.Name)`n`n$prose`n`n$(Format-ParameterYaml $parameter)`n`n")
    }

    if ($null -ne $Doc) {
        foreach ($name in $Doc.Parameters.Keys | Where-Object { $_ -notin $Command.Parameters.Name }) {
            Write-Warning "$($Doc.Path): dropped the section of -$name, which $($Command.Name) does not have."
        }
    }

    [void]$builder.Append("### CommonParameters`n`n$CommonParametersText`n`n")
    [void]$builder.Append("## INPUTS`n`n$(Get-SectionText $Doc 'INPUTS' (Format-TypeEntrySection $Command.PipelineTypes))`n`n")
    [void]$builder.Append("## OUTPUTS`n`n$(Get-SectionText $Doc 'OUTPUTS' (Format-TypeEntrySection $Command.OutputTypes))`n`n")
    [void]$builder.Append("## NOTES`n`n$(Get-SectionText $Doc 'NOTES' '')".TrimEnd() + "`n`n")
    [void]$builder.Append("## RELATED LINKS`n`n$(Get-SectionText $Doc 'RELATED LINKS' '')".TrimEnd() + "`n")
    return $builder.ToString()
}

#endregion

#region Checks

# Lists every way a doc is incomplete or disagrees with the cmdlet's metadata.
function Test-HelpDocument($Command, $Doc, [string] $DisplayPath) {
    $problems = [System.Collections.Generic.List[string]]::new()
    foreach ($key in $ExpectedFrontMatter.Keys) {
        if (-not $Doc.FrontMatter.Contains($key) -or $Doc.FrontMatter[$key] -ne $ExpectedFrontMatter[$key]) {
            $problems.Add("${DisplayPath}: front matter must contain '${key}: $($ExpectedFrontMatter[$key])'.")
        }
    }

    if ($Doc.Title -ne $Command.Name) {
        $problems.Add("${DisplayPath}: the title is '# $($Doc.Title)', expected '# $($Command.Name)'.")
    }

    if ($Doc.Synopsis.Trim().Length -eq 0 -or (Test-Placeholder $Doc.Synopsis)) {
        $problems.Add("${DisplayPath}: the SYNOPSIS is missing.")
    }

    if (@($Doc.Description | Where-Object { -not (Test-Placeholder $_) }).Count -eq 0) {
        $problems.Add("${DisplayPath}: the DESCRIPTION is missing.")
    }

    $examples = @($Doc.Examples | Where-Object { -not (Test-Placeholder $_.Code) -and $_.Code.Trim().Length -gt 0 })
    if ($examples.Count -lt 2) {
        $problems.Add("${DisplayPath}: $($examples.Count) example(s) with code found; at least 2 are required.")
    }

    foreach ($example in $Doc.Examples) {
        if ($example.Title -notmatch '^Example \d+: \S') {
            $problems.Add("${DisplayPath}: the example heading '$($example.Title)' is not in the form 'Example N: title'.")
        }

        if ($example.Code.Trim().Length -eq 0) {
            $problems.Add("${DisplayPath}: '$($example.Title)' has no code block.")
        }

        if (@($example.Remarks | Where-Object { -not (Test-Placeholder $_) }).Count -eq 0) {
            $problems.Add("${DisplayPath}: '$($example.Title)' has no remarks.")
        }
    }

    $expectedSyntax = Format-SyntaxSection $Command
    if ($Doc.Syntax -ne $expectedSyntax) {
        $problems.Add("${DisplayPath}: the SYNTAX section does not match the cmdlet; run with -UpdateMarkdown.")
    }

    foreach ($parameter in $Command.Parameters) {
        if (-not $Doc.Parameters.Contains($parameter.Name)) {
            $problems.Add("${DisplayPath}: -$($parameter.Name) is not documented.")
            continue
        }

        $documented = $Doc.Parameters[$parameter.Name]
        if (@($documented.Description | Where-Object { -not (Test-Placeholder $_) }).Count -eq 0) {
            $problems.Add("${DisplayPath}: -$($parameter.Name) has no description.")
        }

        if ($documented.Yaml -ne (Format-ParameterYaml $parameter)) {
            $problems.Add("${DisplayPath}: the yaml block of -$($parameter.Name) does not match the cmdlet; run with -UpdateMarkdown.")
        }
    }

    foreach ($name in $Doc.Parameters.Keys) {
        if ($name -notin $Command.Parameters.Name) {
            $problems.Add("${DisplayPath}: documents -$name, which $($Command.Name) does not have.")
        }
    }

    $inputNames = @($Doc.Inputs.TypeName)
    foreach ($typeName in $Command.ByValueTypes | Select-Object -Unique) {
        $elementName = $typeName -replace '\[\]$', ''
        if ($typeName -notin $inputNames -and $elementName -notin $inputNames) {
            $problems.Add("${DisplayPath}: INPUTS does not list $elementName, which a parameter takes from the pipeline by value.")
        }
    }

    $outputNames = @($Doc.Outputs.TypeName)
    foreach ($typeName in $Command.OutputTypes) {
        if ($typeName -notin $outputNames) {
            $problems.Add("${DisplayPath}: OUTPUTS does not list $typeName, which the cmdlet declares with [OutputType].")
        }
    }

    return , $problems
}

# Compares the help file on disk with the regenerated one, per command element.
function Compare-HelpFile([string] $Path, [byte[]] $Expected, [string] $DisplayPath, [string[]] $ExportedNames) {
    if (-not (Test-Path -LiteralPath $Path)) {
        return , @("${DisplayPath} does not exist; run tools/New-HybridNetHelp.ps1 without -Check to create it.")
    }

    $actual = [System.IO.File]::ReadAllBytes($Path)
    if (Test-SameBytes $actual $Expected) {
        return , @()
    }

    $differences = [System.Collections.Generic.List[string]]::new()
    $commandsOf = {
        param([byte[]] $Bytes)
        $map = [ordered]@{}
        try {
            $document = [System.Xml.XmlDocument]::new()
            $document.PreserveWhitespace = $true
            $document.Load([System.IO.MemoryStream]::new($Bytes))
            $manager = [System.Xml.XmlNamespaceManager]::new($document.NameTable)
            $manager.AddNamespace('command', $Namespaces.command)
            foreach ($node in $document.SelectNodes('//command:command', $manager)) {
                $name = $node.SelectSingleNode('command:details/command:name', $manager).InnerText
                $map[$name] = $node.OuterXml
            }
        }
        catch {
            $map['<unreadable>'] = $_.Exception.Message
        }

        return $map
    }

    $onDisk = & $commandsOf $actual
    $generated = & $commandsOf $Expected
    foreach ($name in $generated.Keys) {
        if (-not $onDisk.Contains($name)) {
            $differences.Add("${DisplayPath}: help for $name is missing.")
        }
        elseif ($onDisk[$name] -ne $generated[$name]) {
            $differences.Add("${DisplayPath}: help for $name differs from the docs and the cmdlet metadata.")
        }
    }

    # An exported cmdlet without a doc is missing from the generated help; that is reported as a
    # missing doc already.
    foreach ($name in $onDisk.Keys | Where-Object { -not $generated.Contains($_) -and $_ -notin $ExportedNames }) {
        $differences.Add("${DisplayPath}: contains help for $name, which the module does not export.")
    }

    if ($differences.Count -eq 0) {
        $differences.Add("${DisplayPath}: differs from the regenerated file outside the command elements (encoding, line ends or layout).")
    }

    $differences.Add("Run tools/New-HybridNetHelp.ps1 without -Check to regenerate ${DisplayPath}.")
    return , $differences
}

#endregion

#region MAML writer

function Write-Paragraph([System.Xml.XmlWriter] $Writer, [string] $Element, [string] $Namespace, [string[]] $Paragraphs) {
    $Paragraphs = @($Paragraphs | Where-Object { $null -ne $_ })
    $Writer.WriteStartElement($Element, $Namespace)
    if ($Paragraphs.Count -eq 0) {
        $Writer.WriteElementString('para', $Namespaces.maml, '')
    }

    foreach ($paragraph in $Paragraphs) {
        $Writer.WriteElementString('para', $Namespaces.maml, $paragraph)
    }

    $Writer.WriteEndElement()
}

function Write-DevType([System.Xml.XmlWriter] $Writer, [string] $TypeName) {
    $Writer.WriteStartElement('type', $Namespaces.dev)
    $Writer.WriteElementString('name', $Namespaces.maml, $TypeName)
    $Writer.WriteElementString('uri', $Namespaces.maml, '')
    $Writer.WriteEndElement()
}

# Writes one command:parameter. $Set is the set-specific metadata for a syntax item, or $null
# for the command:parameters list, which merges the sets as platyPS 1.0's MAML writer
# (MamlHelpers.cs) does: required when mandatory in any set, the position of the first set, and
# every pipeline flag of any set.
function Write-MamlParameter([System.Xml.XmlWriter] $Writer, $Parameter, $Set, [string[]] $Description) {
    if ($null -ne $Set) {
        $required = $Set.IsMandatory
        $position = $Set.Position
        $pipeline = Format-PipelineInput $Set.ByValue $Set.ByPropertyName
    }
    else {
        $required = [bool]($Parameter.Sets | Where-Object IsMandatory)
        $position = $Parameter.Sets[0].Position
        $pipeline = Format-PipelineInput ([bool]($Parameter.Sets | Where-Object ByValue)) ([bool]($Parameter.Sets | Where-Object ByPropertyName))
    }

    $Writer.WriteStartElement('parameter', $Namespaces.command)
    $Writer.WriteAttributeString('required', ([string]$required).ToLowerInvariant())
    $Writer.WriteAttributeString('variableLength', ([string]$Parameter.IsArray).ToLowerInvariant())
    $Writer.WriteAttributeString('globbing', ([string]$Parameter.Globbing).ToLowerInvariant())
    $Writer.WriteAttributeString('pipelineInput', $pipeline)
    $Writer.WriteAttributeString('position', $position)
    $aliases = if ($Parameter.Aliases.Count -gt 0) { $Parameter.Aliases -join ', ' } else { 'none' }
    $Writer.WriteAttributeString('aliases', $aliases)
    $Writer.WriteElementString('name', $Namespaces.maml, $Parameter.Name)
    Write-Paragraph $Writer 'description' $Namespaces.maml $Description
    if ($Parameter.AcceptedValues.Count -gt 0) {
        $Writer.WriteStartElement('parameterValueGroup', $Namespaces.command)
        foreach ($value in $Parameter.AcceptedValues) {
            $Writer.WriteStartElement('parameterValue', $Namespaces.command)
            $Writer.WriteAttributeString('required', 'false')
            $Writer.WriteAttributeString('command', 'variableLength', $Namespaces.command, 'false')
            $Writer.WriteString($value)
            $Writer.WriteEndElement()
        }

        $Writer.WriteEndElement()
    }

    if (-not $Parameter.IsSwitch) {
        $Writer.WriteStartElement('parameterValue', $Namespaces.command)
        $Writer.WriteAttributeString('required', 'true')
        $Writer.WriteAttributeString('variableLength', ([string]$Parameter.IsArray).ToLowerInvariant())
        $Writer.WriteString($Parameter.TypeName)
        $Writer.WriteEndElement()
    }

    Write-DevType $Writer $Parameter.TypeFullName
    $Writer.WriteElementString('defaultValue', $Namespaces.dev, $Parameter.DefaultValue)
    $Writer.WriteEndElement()
}

# Writes -WhatIf or -Confirm inside a syntax item, so the syntax matches Get-Command -Syntax.
function Write-ShouldProcessSwitch([System.Xml.XmlWriter] $Writer, [string] $Name) {
    $Writer.WriteStartElement('parameter', $Namespaces.command)
    foreach ($pair in @(('required', 'false'), ('variableLength', 'false'), ('globbing', 'false'),
            ('pipelineInput', 'false'), ('position', 'named'), ('aliases', 'none'))) {
        $Writer.WriteAttributeString($pair[0], $pair[1])
    }

    $Writer.WriteElementString('name', $Namespaces.maml, $Name)
    Write-Paragraph $Writer 'description' $Namespaces.maml @()
    Write-DevType $Writer 'System.Management.Automation.SwitchParameter'
    $Writer.WriteElementString('defaultValue', $Namespaces.dev, 'False')
    $Writer.WriteEndElement()
}

function Write-TypeEntry([System.Xml.XmlWriter] $Writer, [string] $Container, [string] $Item, $Entries) {
    $Writer.WriteStartElement($Container, $Namespaces.command)
    foreach ($entry in $Entries) {
        $Writer.WriteStartElement($Item, $Namespaces.command)
        Write-DevType $Writer $entry.TypeName
        Write-Paragraph $Writer 'description' $Namespaces.maml $entry.Description
        $Writer.WriteEndElement()
    }

    $Writer.WriteEndElement()
}

function Write-MamlCommand([System.Xml.XmlWriter] $Writer, $Command, $Doc) {
    $Writer.WriteStartElement('command', 'command', $Namespaces.command)
    $Writer.WriteStartElement('details', $Namespaces.command)
    $Writer.WriteElementString('name', $Namespaces.command, $Command.Name)
    Write-Paragraph $Writer 'description' $Namespaces.maml @(Remove-InlineMarkup $Doc.Synopsis)
    $Writer.WriteElementString('verb', $Namespaces.command, $Command.Verb)
    $Writer.WriteElementString('noun', $Namespaces.command, $Command.Noun)
    $Writer.WriteEndElement()

    Write-Paragraph $Writer 'description' $Namespaces.maml $Doc.Description

    $descriptions = @{}
    foreach ($parameter in $Command.Parameters) {
        $descriptions[$parameter.Name] = [string[]]@()
        if ($Doc.Parameters.Contains($parameter.Name)) {
            $descriptions[$parameter.Name] = [string[]]$Doc.Parameters[$parameter.Name].Description
        }
    }

    $Writer.WriteStartElement('syntax', $Namespaces.command)
    foreach ($syntax in $Command.Syntax) {
        $Writer.WriteStartElement('syntaxItem', $Namespaces.command)
        $Writer.WriteElementString('name', $Namespaces.maml, $Command.Name)
        foreach ($parameter in $syntax.Parameters) {
            $set = $parameter.Sets | Where-Object SetName -EQ $syntax.SetName
            Write-MamlParameter $Writer $parameter $set $descriptions[$parameter.Name]
        }

        foreach ($name in $syntax.ShouldProcessSwitches) {
            Write-ShouldProcessSwitch $Writer $name
        }

        $Writer.WriteEndElement()
    }

    $Writer.WriteEndElement()

    $Writer.WriteStartElement('parameters', $Namespaces.command)
    foreach ($parameter in $Command.Parameters) {
        Write-MamlParameter $Writer $parameter $null $descriptions[$parameter.Name]
    }

    $Writer.WriteEndElement()

    Write-TypeEntry $Writer 'inputTypes' 'inputType' $Doc.Inputs
    Write-TypeEntry $Writer 'returnValues' 'returnValue' $Doc.Outputs

    $Writer.WriteStartElement('alertSet', $Namespaces.maml)
    if ($Doc.Notes.Count -gt 0) {
        Write-Paragraph $Writer 'alert' $Namespaces.maml $Doc.Notes
    }

    $Writer.WriteEndElement()

    $Writer.WriteStartElement('examples', $Namespaces.command)
    foreach ($example in $Doc.Examples) {
        $Writer.WriteStartElement('example', $Namespaces.command)
        $Writer.WriteElementString('title', $Namespaces.maml, "--------- $($example.Title) ---------")
        $Writer.WriteElementString('code', $Namespaces.dev, $example.Code)
        Write-Paragraph $Writer 'remarks' $Namespaces.dev $example.Remarks
        $Writer.WriteEndElement()
    }

    $Writer.WriteEndElement()

    $Writer.WriteStartElement('relatedLinks', $Namespaces.command)
    foreach ($link in $Doc.RelatedLinks) {
        $Writer.WriteStartElement('navigationLink', $Namespaces.maml)
        $Writer.WriteElementString('linkText', $Namespaces.maml, $link.Text)
        $Writer.WriteElementString('uri', $Namespaces.maml, $link.Uri)
        $Writer.WriteEndElement()
    }

    $Writer.WriteEndElement()
    $Writer.WriteEndElement()
}

# Serializes the help of all commands into the bytes of the MAML file.
function ConvertTo-MamlBytes($Entries) {
    $settings = [System.Xml.XmlWriterSettings]::new()
    $settings.Encoding = [System.Text.UTF8Encoding]::new($false)
    $settings.Indent = $true
    $settings.IndentChars = '  '
    $settings.NewLineChars = "`n"
    $settings.NewLineHandling = [System.Xml.NewLineHandling]::Replace
    $stream = [System.IO.MemoryStream]::new()
    $writer = [System.Xml.XmlWriter]::Create($stream, $settings)
    try {
        $writer.WriteStartDocument()
        $writer.WriteStartElement('helpItems', $Namespaces.Root)
        $writer.WriteAttributeString('schema', 'maml')
        foreach ($prefix in 'maml', 'command', 'dev') {
            $writer.WriteAttributeString('xmlns', $prefix, 'http://www.w3.org/2000/xmlns/', $Namespaces[$prefix])
        }

        foreach ($entry in $Entries) {
            Write-MamlCommand $writer $entry.Command $entry.Doc
        }

        $writer.WriteEndElement()
        $writer.WriteEndDocument()
    }
    finally {
        $writer.Dispose()
    }

    $bytes = [System.Collections.Generic.List[byte]]::new($stream.ToArray())
    $bytes.Add(10)
    return , $bytes.ToArray()
}

#endregion

$ModulePath = Resolve-FullPath $ModulePath (Join-Path $RepoRoot 'out/HybridNet/HybridNet.psd1')
$DocsPath = Resolve-FullPath $DocsPath (Join-Path $RepoRoot 'docs')
$OutputPath = Resolve-FullPath $OutputPath (Join-Path $RepoRoot 'en-US/HybridNet.dll-Help.xml')

$module = Import-Module $ModulePath -PassThru -Force
$names = [string[]]@($module.ExportedCmdlets.Keys)
[array]::Sort($names, [System.StringComparer]::Ordinal)
$cmdlets = @($names | ForEach-Object { $module.ExportedCmdlets[$_] })

$problems = [System.Collections.Generic.List[string]]::new()
$entries = [System.Collections.Generic.List[object]]::new()
foreach ($cmdlet in $cmdlets) {
    $command = Get-CommandModel $cmdlet
    $docFile = Join-Path $DocsPath "$($command.Name).md"
    $displayPath = [System.IO.Path]::GetRelativePath((Get-Location).ProviderPath, $docFile)
    $doc = if (Test-Path -LiteralPath $docFile) { Read-HelpMarkdown $docFile } else { $null }

    if ($UpdateMarkdown -and -not $Check) {
        $markdown = Format-HelpMarkdown $command $doc
        $current = if ($null -ne $doc) { [System.IO.File]::ReadAllText($docFile) } else { $null }
        if ($markdown -ne $current) {
            [void](New-Item -ItemType Directory -Force -Path $DocsPath)
            [System.IO.File]::WriteAllText($docFile, $markdown, [System.Text.UTF8Encoding]::new($false))
            Write-Host "Updated $displayPath"
        }

        $doc = Read-HelpMarkdown $docFile
    }

    if ($null -eq $doc) {
        $problems.Add("${displayPath}: missing; $($command.Name) has no doc file (run with -UpdateMarkdown to create a skeleton).")
        continue
    }

    $problems.AddRange([string[]](Test-HelpDocument $command $doc $displayPath))

    $entries.Add([pscustomobject]@{ Command = $command; Doc = $doc })
}

# Other markdown under docs/ (design notes, for example) has no platyPS front matter and is not
# cmdlet help; only files that declare the external help file are checked against the exports.
if (Test-Path -LiteralPath $DocsPath) {
    foreach ($file in Get-ChildItem -LiteralPath $DocsPath -Filter '*.md' | Sort-Object Name) {
        $isCmdletDoc = (Read-HelpMarkdown $file.FullName).FrontMatter.Contains('external help file')
        if ($isCmdletDoc -and $file.BaseName -notin $names) {
            $problems.Add("$([System.IO.Path]::GetRelativePath((Get-Location).ProviderPath, $file.FullName)): documents $($file.BaseName), which the module does not export.")
        }
    }
}

$bytes = ConvertTo-MamlBytes $entries
$outputDisplay = [System.IO.Path]::GetRelativePath((Get-Location).ProviderPath, $OutputPath)
if ($Check) {
    $problems.AddRange([string[]](Compare-HelpFile $OutputPath $bytes $outputDisplay $names))
}
else {
    $existing = $null
    if (Test-Path -LiteralPath $OutputPath) {
        $existing = [System.IO.File]::ReadAllBytes($OutputPath)
    }

    if ($null -eq $existing -or -not (Test-SameBytes $existing $bytes)) {
        [void](New-Item -ItemType Directory -Force -Path (Split-Path -Parent $OutputPath))
        [System.IO.File]::WriteAllBytes($OutputPath, $bytes)
        Write-Host "Wrote $outputDisplay ($($entries.Count) cmdlets)"
    }
    else {
        Write-Host "$outputDisplay is up to date ($($entries.Count) cmdlets)"
    }
}

if ($problems.Count -gt 0) {
    Write-Host "$($problems.Count) help problem(s):"
    foreach ($problem in $problems) {
        Write-Host "  $problem"
    }

    exit 1
}

if ($Check) {
    Write-Host "Help is complete and $outputDisplay matches the docs and the cmdlets ($($entries.Count) cmdlets)."
}
