#Requires -Version 7.4
<#
.SYNOPSIS
    Adds a hybrid-bridge NIC to a shut-off libvirt domain, optionally starts it, and waits until
    it is up on the bridge.

.DESCRIPTION
    Connect-HybridVM on a shut-off domain changes only the domain's persistent definition: the
    NIC, with its DHCP reservation, takes effect at the domain's next start. This script does the
    whole job:

      1. Checks with `virsh domstate` that the domain is shut off. A running domain is rejected,
         because Connect-HybridVM hot-plugs the NIC into it directly.
      2. Connect-HybridVM: reserves an address (-IPAddress, or the first free one of the VM
         pool) for a new MAC address, and adds a virtio NIC with that MAC to the definition.
      3. With -Start: `virsh start`, then waits until Get-HybridEndpoint shows the NIC with its
         tap device on the host, and until the guest has taken the reserved address from the
         bridge's DHCP server.

    The guest needs a DHCP client on the new interface. Many distributions configure only the
    interfaces their installer saw, so a new NIC may need an entry in the guest's network
    configuration (netplan, ifupdown or NetworkManager) before it asks for an address.

    The script writes the VM's HybridEndpoint: after the start when -Start is given, otherwise
    as Connect-HybridVM wrote it, with the reserved address and no host interface.

    libvirt is reached at HYBRIDNET_LIBVIRT_URI, else LIBVIRT_DEFAULT_URI, else qemu:///system,
    as HybridNet does. HybridNet is imported by name when it is installed, and otherwise the build
    in out/HybridNet of this repository is used. Run it as root.

.PARAMETER Domain
    Name of the shut-off libvirt domain.

.PARAMETER Bridge
    Name of the hybrid bridge.

.PARAMETER IPAddress
    Address to reserve for the NIC. The first free address of the VM pool when left out.

.PARAMETER Start
    Starts the domain after the NIC is added and waits for its lease.

.PARAMETER TimeoutSec
    With -Start, how long to wait for the tap device and the lease, in seconds.

.EXAMPLE
    sudo pwsh ./examples/Connect-ShutOffVM.ps1 -Domain web1 -Bridge hybr0 -Start

    Adds the NIC to web1, starts it and waits until it has its address on hybr0.

.EXAMPLE
    ./examples/Connect-ShutOffVM.ps1 -Domain db1 -Bridge hybr0 -IPAddress 10.0.1.10

    Adds a NIC with the reserved address 10.0.1.10, which db1 takes at its next start.
#>
[CmdletBinding()]
[OutputType('HybridNet.HybridEndpoint')]
param(
    [Parameter(Mandatory)]
    [string] $Domain,

    [Parameter(Mandatory)]
    [string] $Bridge,

    [string] $IPAddress,

    [switch] $Start,

    [ValidateRange(1, 3600)]
    [int] $TimeoutSec = 180
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

$libvirtUri = @($env:HYBRIDNET_LIBVIRT_URI, $env:LIBVIRT_DEFAULT_URI, 'qemu:///system') |
    Where-Object { $_ } | Select-Object -First 1

$state = (& virsh -q -c $libvirtUri domstate -- $Domain 2>&1 | Out-String).Trim()
if ($LASTEXITCODE -ne 0) {
    throw "virsh domstate $Domain failed on ${libvirtUri}: $state"
}

if ($state -ne 'shut off') {
    throw ("Domain $Domain is '$state', not 'shut off'. Connect-HybridVM -Domain $Domain -Bridge $Bridge " +
        'hot-plugs the NIC into a running domain; add -Persistent to change only its definition.')
}

$connect = @{ Domain = $Domain; Bridge = $Bridge }
if ($IPAddress) {
    $connect.IPAddress = $IPAddress
}

$endpoint = Connect-HybridVM @connect
Write-Host ("$Domain has a NIC on $Bridge in its definition: MAC $($endpoint.MacAddress), " +
    "reserved address $($endpoint.IPAddress).")
if (-not $Start) {
    Write-Host "Start the domain (virsh start $Domain) to bring the NIC up."
    return $endpoint
}

& virsh -q -c $libvirtUri start -- $Domain | Out-Null
if ($LASTEXITCODE -ne 0) {
    throw "virsh start $Domain failed."
}

$deadline = [datetime]::UtcNow.AddSeconds($TimeoutSec)
$running = $null
while ([datetime]::UtcNow -lt $deadline -and -not $running) {
    $running = Get-HybridEndpoint -Bridge $Bridge -Name $Domain -Kind VM |
        Where-Object { $_.MacAddress -eq $endpoint.MacAddress -and $_.HostInterface }
    if (-not $running) {
        Start-Sleep -Seconds 1
    }
}

if (-not $running) {
    throw "$Domain started, but its NIC $($endpoint.MacAddress) did not appear on $Bridge within $TimeoutSec s."
}

Write-Host "$Domain is running with tap device $($running.HostInterface) on $Bridge; waiting for its DHCP lease."
$leased = $false
while ([datetime]::UtcNow -lt $deadline -and -not $leased) {
    $leased = [bool](Get-HybridAddress -Bridge $Bridge | Where-Object {
            $_.MacAddress -eq $endpoint.MacAddress -and $_.Source -contains 'DnsmasqLease'
        })
    if (-not $leased) {
        Start-Sleep -Seconds 2
    }
}

if ($leased) {
    Write-Host "$Domain has taken $($running.IPAddress) on $Bridge."
}
else {
    Write-Warning ("$Domain runs on $Bridge but has not taken a DHCP lease within $TimeoutSec s. " +
        'Check that the guest runs a DHCP client on the new NIC.')
}

$running
