#Requires -Version 7.4
<#
.SYNOPSIS
    Builds a small demo lab, joins a container and a VM on a hybrid bridge, and proves they
    reach each other.

.DESCRIPTION
    Run by `build.ps1 Demo`, which builds the module and starts Docker and libvirt first. The
    script creates, all named hndemo*:
      - a hybrid bridge on a free subnet picked by New-HybridBridge,
      - a busybox container started on Docker's default bridge, as an existing container would be,
      - a tiny QEMU guest with the QEMU guest agent, running before it is connected,
    then connects both members, prints the connectivity table and removes everything it created
    unless -Keep is given.

.PARAMETER Keep
    Leaves the bridge, container and VM in place for exploring.
#>
[CmdletBinding()]
param(
    [switch] $Keep
)

$ErrorActionPreference = 'Stop'
$repoRoot = Split-Path -Parent $PSScriptRoot
Import-Module (Join-Path $repoRoot 'tools/HybridLab.psm1') -Force
Import-Module (Join-Path $repoRoot 'out/HybridNet/HybridNet.psd1') -Force

$bridgeName = 'hndemo0'
$containerName = 'hndemo-web'
$vmName = 'hndemo-vm'

function Remove-Demo {
    Get-HybridBridge -Name $bridgeName -ErrorAction SilentlyContinue | Remove-HybridBridge -Force -Confirm:$false
    Remove-HybridLabVM -Name $vmName -ErrorAction SilentlyContinue
    Remove-HybridLabContainer -Name $containerName -ErrorAction SilentlyContinue
}

Remove-Demo
try {
    Write-Host '== Preparing the demo lab (image, guest kernel and initramfs are cached after the first run)'
    New-HybridLabImage | Out-Null
    New-HybridLabGuestAsset | Out-Null
    New-HybridLabContainer -Name $containerName | Out-Null
    New-HybridLabVM -Name $vmName -Start | Out-Null
    Wait-HybridLabGuestAgent -Name $vmName -TimeoutSec 120 | Out-Null

    Write-Host "== New-HybridBridge -Name $bridgeName"
    $bridge = New-HybridBridge -Name $bridgeName
    $bridge | Format-List Name, State, Subnet, Gateway, VmPool, ContainerPool, StaticRange, Domain | Out-Host

    Write-Host "== Connecting container '$containerName' and VM '$vmName'"
    $endpoints = @(
        $bridge | Connect-HybridContainer -Container $containerName
        $bridge | Connect-HybridVM -Domain $vmName
    )
    $endpoints | Format-Table Kind, Name, IPAddress, MacAddress, HostInterface -AutoSize | Out-Host

    Write-Host "== Waiting for the guest's DHCP lease on the hot-plugged NIC"
    Get-HybridLabGuestAddress -Name $vmName -InterfaceName eth0 -TimeoutSec 90 | Out-Null

    Write-Host '== Test-HybridConnectivity'
    $results = @($endpoints | Test-HybridConnectivity)
    $results | Format-Table Source, Target, TargetAddress, Protocol, Status, LatencyMs -AutoSize | Out-Host
    $reachable = @($results | Where-Object Status -eq 'Reachable').Count
    Write-Host "$reachable of $($results.Count) probes Reachable"
    if ($reachable -ne $results.Count) {
        $results | Where-Object Status -ne 'Reachable' | Format-List Source, Target, Status, Detail | Out-Host
        exit 1
    }
}
finally {
    if ($Keep) {
        Write-Host "Kept: bridge $bridgeName, container $containerName, VM $vmName. Remove them with:"
        Write-Host "  Remove-HybridBridge $bridgeName -Force; virsh destroy $vmName; virsh undefine $vmName; docker rm -f $containerName"
    }
    else {
        Write-Host '== Removing the demo lab'
        Remove-Demo
    }
}
