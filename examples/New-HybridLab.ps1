#Requires -Version 7.4
<#
.SYNOPSIS
    Builds a hybrid lab from existing libvirt domains and Docker containers, and proves that
    they reach each other.

.DESCRIPTION
    The script works on VMs and containers that already exist and creates none. In order:

      1. New-HybridBridge -Name <Bridge> [-Subnet <Subnet>] [-Mode <Mode>]. When the bridge
         already exists with these settings, it is used as it is.
      2. Connect-HybridContainer for every -Container. Docker assigns addresses from the
         bridge's container pool.
      3. Connect-HybridVM for every -Domain. A running domain gets a hot-plugged NIC at once; a
         shut-off domain gets the NIC in its definition, which takes effect at its next start
         (examples/Connect-ShutOffVM.ps1 -Start does both).
      4. Waits until each running VM has taken its reserved address from the bridge's DHCP
         server, which needs a DHCP client on the new NIC in the guest.
      5. Test-HybridConnectivity on the bridge, printed with examples/Show-ConnectivityMatrix.ps1.

    Connecting is idempotent, so running the script again with more names adds only the new
    members. A member that fails to connect gets an error record, and the others go on.

    The endpoints of all connected members are written to the output, so they can be piped on,
    for example to Test-HybridConnectivity or Disconnect-HybridVM.

    -WhatIf lists every step of New-HybridBridge and of each connection and changes nothing.
    When the bridge does not exist yet, the connections cannot be planned and are skipped.

    HybridNet is imported by name when it is installed, and otherwise the build in out/HybridNet
    of this repository is used. Run it as root, as HybridNet's cmdlets need.

.PARAMETER Bridge
    Name of the hybrid bridge, 1 to 15 characters.

.PARAMETER Subnet
    IPv4 subnet of a new bridge in CIDR form. When left out, New-HybridBridge picks a free one.

.PARAMETER Domain
    Names of existing libvirt domains to connect, running or shut off.

.PARAMETER Container
    Names or ids of existing Docker containers to connect, running or stopped.

.PARAMETER Mode
    Mode of a new bridge: Isolated (the default of New-HybridBridge), Nat or Routed.

.PARAMETER LeaseTimeoutSec
    How long to wait for each running VM to take its DHCP lease, in seconds.

.PARAMETER SkipTest
    Leaves out the connectivity test.

.EXAMPLE
    sudo pwsh ./examples/New-HybridLab.ps1 -Bridge lab0 -Subnet 10.0.1.0/24 -Domain web1, web2 -Container db1

    Creates lab0 on 10.0.1.0/24, connects two VMs and a container, waits for the VMs' leases
    and prints the connectivity matrix.

.EXAMPLE
    ./examples/New-HybridLab.ps1 -Bridge lab0 -Subnet 10.0.1.0/24 -Domain web1 -Container db1 -WhatIf

    Lists every command the lab needs without running any.

.EXAMPLE
    $members = ./examples/New-HybridLab.ps1 -Bridge lab0 -Domain web1 -Container db1 -SkipTest
    $members | Test-HybridConnectivity -ExcludeHost

    Builds the lab on a free subnet and tests only between the members.
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [Parameter(Mandatory)]
    [ValidateLength(1, 15)]
    [string] $Bridge,

    [string] $Subnet,

    [string[]] $Domain = @(),

    [string[]] $Container = @(),

    [ValidateSet('Isolated', 'Nat', 'Routed')]
    [string] $Mode,

    [ValidateRange(1, 3600)]
    [int] $LeaseTimeoutSec = 120,

    [switch] $SkipTest
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

# Waits until dnsmasq has leased the endpoint's reserved address to the endpoint's MAC address.
function Wait-VmLease {
    param($Endpoint, [int] $TimeoutSec)

    $deadline = [datetime]::UtcNow.AddSeconds($TimeoutSec)
    while ([datetime]::UtcNow -lt $deadline) {
        $leased = Get-HybridAddress -Bridge $Endpoint.Bridge | Where-Object {
            $_.IPAddress -eq $Endpoint.IPAddress -and $_.MacAddress -eq $Endpoint.MacAddress -and
            $_.Source -contains 'DnsmasqLease'
        }
        if ($leased) {
            return $true
        }

        Start-Sleep -Seconds 2
    }

    return $false
}

$newBridge = @{ Name = $Bridge }
if ($Subnet) {
    $newBridge.Subnet = $Subnet
}

if ($Mode) {
    $newBridge.Mode = $Mode
}

Write-Host "== Hybrid bridge $Bridge"
$hybridBridge = New-HybridBridge @newBridge
if (-not $hybridBridge) {
    # Under -WhatIf New-HybridBridge writes nothing, and connections need an existing bridge to plan.
    $hybridBridge = Get-HybridBridge -Name $Bridge -ErrorAction Ignore
    if (-not $hybridBridge) {
        Write-Host "The bridge $Bridge does not exist yet, so the connections are not planned."
        return
    }
}

$hybridBridge | Format-Table | Out-Host

$endpoints = [System.Collections.Generic.List[object]]::new()
if ($Container.Count -gt 0) {
    Write-Host "== Connecting containers: $($Container -join ', ')"
    foreach ($name in $Container) {
        $endpoint = Connect-HybridContainer -Container $name -Bridge $Bridge -ErrorAction Continue
        if ($endpoint) {
            $endpoints.Add($endpoint)
        }
    }
}

if ($Domain.Count -gt 0) {
    Write-Host "== Connecting VMs: $($Domain -join ', ')"
    foreach ($name in $Domain) {
        $endpoint = Connect-HybridVM -Domain $name -Bridge $Bridge -ErrorAction Continue
        if ($endpoint) {
            $endpoints.Add($endpoint)
            if (-not $endpoint.Running) {
                Write-Host "$name is not running; its NIC on $Bridge appears at its next start."
            }
        }
    }
}

if ($WhatIfPreference) {
    return
}

$endpoints | Format-Table | Out-Host

foreach ($vm in $endpoints | Where-Object { $_.Kind -eq 'VM' -and $_.Running -and $_.IPAddress }) {
    Write-Host "== Waiting up to $LeaseTimeoutSec s for $($vm.Name) to take $($vm.IPAddress)"
    if (-not (Wait-VmLease -Endpoint $vm -TimeoutSec $LeaseTimeoutSec)) {
        Write-Warning ("$($vm.Name) has not taken its DHCP lease on $Bridge within $LeaseTimeoutSec s. " +
            'Check that the guest runs a DHCP client on the new NIC.')
    }
}

if (-not $SkipTest) {
    Write-Host "== Connectivity on $Bridge"
    $matrix = Join-Path $PSScriptRoot 'Show-ConnectivityMatrix.ps1'
    $results = @(Test-HybridConnectivity -Bridge $Bridge)
    if ($results.Count -gt 0) {
        $results | & $matrix | Out-Host
    }
    else {
        Write-Host "$Bridge has no members to probe."
    }
}

$endpoints
