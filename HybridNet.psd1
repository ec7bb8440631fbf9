@{
    # build.ps1 Build copies this manifest to out/HybridNet/ and sets ModuleVersion from
    # Directory.Build.props. build.ps1 Package (tools/New-HybridNetPackage.ps1) replaces
    # ReleaseNotes in that copy with the top section of CHANGELOG.md.
    RootModule           = 'HybridNet.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '5b8f0c57-3f86-4f3e-9a57-6f0d2f0e4a11'
    Author               = 'HybridNet contributors'
    CompanyName          = 'HybridNet contributors'
    Copyright            = '(c) HybridNet contributors. MIT licence.'
    Description          = 'Joins libvirt/QEMU virtual machines and Docker containers on one Linux host into a shared hybrid bridge: one subnet, coordinated DHCP and Docker IPAM, names across both, firewall rules that survive Docker, and connectivity tests run from inside each member.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('HybridNet.Format.ps1xml')
    CmdletsToExport      = @(
        'New-HybridBridge'
        'Get-HybridBridge'
        'Set-HybridBridge'
        'Repair-HybridBridge'
        'Remove-HybridBridge'
        'Connect-HybridVM'
        'Disconnect-HybridVM'
        'Connect-HybridContainer'
        'Disconnect-HybridContainer'
        'Get-HybridEndpoint'
        'Get-HybridAddress'
        'Get-HybridHostNetwork'
        'Test-HybridConnectivity'
        'Measure-HybridPath'
        'Export-HybridTopology'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('Linux', 'PSEdition_Core', 'Networking', 'Bridge', 'Docker', 'libvirt', 'KVM', 'QEMU', 'Containers', 'VirtualMachines')
            ProjectUri   = 'https://github.com/hybridnet/HybridNet'
            LicenseUri   = 'https://github.com/hybridnet/HybridNet/blob/main/LICENSE'
            ReleaseNotes = 'See CHANGELOG.md.'
        }
    }
}
