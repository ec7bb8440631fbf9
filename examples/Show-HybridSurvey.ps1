#Requires -Version 7.4
<#
.SYNOPSIS
    Surveys the hybrid bridges of this host: their health, members, addresses and conflicts.

.DESCRIPTION
    The script only reads, so nothing on the host changes. For the bridges that match -Bridge, the script
    prints:

      1. Bridges: one row per bridge (Get-HybridBridge), then the Problems of every bridge that is
         not Active, with the command that repairs it.
      2. Members: every VM NIC and container (Get-HybridEndpoint), with a note for members that
         Test-HybridConnectivity cannot probe from inside (no IPv4 address, not running, or a VM
         without a QEMU guest agent channel).
      3. Addresses: the number of addresses in use per bridge, and every address that two MAC
         addresses claim (Get-HybridAddress).
      4. Host networks: when the loaded HybridNet has Get-HybridHostNetwork, its output.

    With -PassThru the script also writes one object with the Bridges, Endpoints, Addresses and
    HostNetwork it read, for further use in a pipeline.

    HybridNet is imported by name when it is installed, and otherwise the build in out/HybridNet
    of this repository is used. Run it as root, as HybridNet's cmdlets need.

.PARAMETER Bridge
    Bridge names to survey, with wildcards. Default: every hybrid bridge.

.PARAMETER PassThru
    Writes an object with the collected Bridges, Endpoints, Addresses and HostNetwork.

.EXAMPLE
    sudo pwsh ./examples/Show-HybridSurvey.ps1

    Surveys every hybrid bridge.

.EXAMPLE
    $survey = ./examples/Show-HybridSurvey.ps1 -Bridge lab* -PassThru
    $survey.Endpoints | Where-Object { -not $_.IPAddress }

    Surveys the bridges whose names start with lab, then lists the members without an address.
#>
[CmdletBinding()]
param(
    [SupportsWildcards()]
    [string[]] $Bridge = @('*'),

    [switch] $PassThru
)

Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'

if (-not (Get-Module HybridNet)) {
    if (Get-Module -ListAvailable HybridNet) {
        Import-Module HybridNet
    }
    else {
        Import-Module (Join-Path (Split-Path -Parent $PSScriptRoot) 'out/HybridNet/HybridNet.psd1')
    }
}

function Write-Section([string] $Title) {
    Write-Host ''
    Write-Host "== $Title"
}

Write-Section 'Bridges'
$bridges = @(Get-HybridBridge -Name $Bridge -ErrorAction Continue)
if ($bridges.Count -eq 0) {
    Write-Host "No hybrid bridge matches $($Bridge -join ', '). Create one with New-HybridBridge."
}
else {
    $bridges | Format-Table | Out-Host
    foreach ($unhealthy in $bridges | Where-Object State -ne 'Active') {
        Write-Host "$($unhealthy.Name) is $($unhealthy.State):"
        $unhealthy.Problems | ForEach-Object { Write-Host "  - $_" }
        Write-Host "  Repair it with: Repair-HybridBridge -Name $($unhealthy.Name)"
    }
}

$endpoints = @()
$addresses = @()
if ($bridges.Count -gt 0) {
    $names = @($bridges.Name)

    Write-Section 'Members'
    $endpoints = @(Get-HybridEndpoint -Bridge $names)
    if ($endpoints.Count -eq 0) {
        Write-Host 'No VM or container is attached. Use Connect-HybridVM and Connect-HybridContainer.'
    }
    else {
        $endpoints | Sort-Object Bridge, Kind, Name | Format-Table | Out-Host
        foreach ($endpoint in $endpoints) {
            $reasons = @(
                if (-not $endpoint.IPAddress) { 'has no IPv4 address yet' }
                if (-not $endpoint.Running) { 'is not running' }
                if ($endpoint.Kind -eq 'VM' -and -not $endpoint.HasGuestAgent) { 'has no QEMU guest agent channel' }
            )
            if ($reasons.Count -gt 0) {
                $member = "$($endpoint.Kind) $($endpoint.Name) on $($endpoint.Bridge)"
                Write-Host "$member $($reasons -join ', '), so probes from it are Inconclusive."
            }
        }
    }

    Write-Section 'Addresses'
    $addresses = @(Get-HybridAddress -Bridge $names)
    $addresses | Group-Object Bridge | ForEach-Object {
        Write-Host "$($_.Name): $($_.Count) address(es) in use"
    }

    $conflicts = @($addresses | Where-Object Conflict)
    if ($conflicts.Count -eq 0) {
        Write-Host 'No address is claimed by two MAC addresses.'
    }
    else {
        $conflicts | Format-Table Bridge, IPAddress, Holder, ConflictDetail -Wrap | Out-Host
    }
}

$hostNetwork = $null
if (Get-Command -Name Get-HybridHostNetwork -Module HybridNet -ErrorAction Ignore) {
    Write-Section 'Host networks'
    $hostNetwork = @(Get-HybridHostNetwork)
    $hostNetwork | Out-Host
}

if ($PassThru) {
    [pscustomobject]@{
        Bridges     = $bridges
        Endpoints   = $endpoints
        Addresses   = $addresses
        HostNetwork = $hostNetwork
    }
}
