<#
.SYNOPSIS
    Shared helpers of the Pester suites: where the built module is, unique test names, and the
    cleanup of resources that only the tests create.

.DESCRIPTION
    Every resource a test creates is named "hnt" followed by random hex digits (at most 15 bytes,
    so the name also fits a Linux bridge), and test subnets come from 10.250.0.0/16. Cleanup
    functions touch nothing whose name does not start with "hnt".
#>
Set-StrictMode -Version Latest

$script:RepoRoot = Split-Path -Parent $PSScriptRoot
$script:TestPrefix = 'hnt'
$script:LibvirtUri = 'qemu:///system'

function Get-TestModulePath {
    if ($env:HYBRIDNET_MODULE_PATH) {
        return $env:HYBRIDNET_MODULE_PATH
    }

    return Join-Path $script:RepoRoot 'out/HybridNet/HybridNet.psd1'
}

function Import-TestLab {
    Import-Module (Join-Path $script:RepoRoot 'tools/HybridLab.psm1') -Global -Force
}

function New-TestName {
    param([int] $HexDigits = 6)

    $bytes = [byte[]]::new([math]::Ceiling($HexDigits / 2))
    [System.Security.Cryptography.RandomNumberGenerator]::Fill($bytes)
    return $script:TestPrefix + ([Convert]::ToHexString($bytes).ToLowerInvariant().Substring(0, $HexDigits))
}

function Test-TestName {
    param([string] $Name)

    return $Name -like "$($script:TestPrefix)*"
}

function Test-DockerAvailable {
    & docker version --format '{{.Server.Version}}' *> $null
    return $LASTEXITCODE -eq 0
}

function Test-LibvirtAvailable {
    & virsh -q -c $script:LibvirtUri uri *> $null
    return $LASTEXITCODE -eq 0
}

function Get-TestLinkNames {
    return @((& ip -j link show | ConvertFrom-Json).ifname)
}

function Get-TestLibvirtNetworks {
    return @(& virsh -q -c $script:LibvirtUri net-list --all --name | Where-Object { $_ })
}

function Get-TestDockerNetworks {
    return @(& docker network ls --format '{{.Name}}')
}

function Get-TestDomains {
    return @(& virsh -q -c $script:LibvirtUri list --all --name | Where-Object { $_ })
}

function Get-TestContainers {
    return @(& docker ps -a --format '{{.Names}}')
}

<#
.SYNOPSIS
    Snapshot of the host's networking objects, to prove a failed command changed nothing.
#>
function Get-HostSnapshot {
    # Left out: container veths, which Docker adds and removes for any container on the host, and
    # the objects of the other suites' prefixes (hnb, hnp, hns, hnlab), which may run alongside a
    # developer's run. Everything a HybridNet command under test could create is kept.
    $foreign = '^(veth|hnb|hnp|hns|hnlab)'
    [pscustomobject]@{
        Links           = @(Get-TestLinkNames | Where-Object { $_ -notmatch $foreign } | Sort-Object)
        LibvirtNetworks = @(Get-TestLibvirtNetworks | Where-Object { $_ -notmatch $foreign } | Sort-Object)
        DockerNetworks  = @(Get-TestDockerNetworks | Where-Object { $_ -notmatch $foreign } | Sort-Object)
        Domains         = @(Get-TestDomains | Where-Object { $_ -notmatch $foreign } | Sort-Object)
        Containers      = @(Get-TestContainers | Where-Object { $_ -notmatch $foreign } | Sort-Object)
    }
}

<#
.SYNOPSIS
    Removes every test resource left by an earlier, aborted run: containers, Docker networks,
    domains, hybrid bridges and plain bridges whose names start with "hnt".
#>
function Remove-TestLeftovers {
    foreach ($container in Get-TestContainers | Where-Object { Test-TestName $_ }) {
        & docker rm -f $container *> $null
    }

    foreach ($domain in Get-TestDomains | Where-Object { Test-TestName $_ }) {
        & virsh -q -c $script:LibvirtUri destroy $domain *> $null
        & virsh -q -c $script:LibvirtUri undefine $domain *> $null
    }

    foreach ($network in Get-TestDockerNetworks | Where-Object { Test-TestName $_ }) {
        & docker network rm $network *> $null
    }

    Remove-TestFirewallRules

    foreach ($network in Get-TestLibvirtNetworks | Where-Object { Test-TestName $_ }) {
        & virsh -q -c $script:LibvirtUri net-destroy $network *> $null
        & virsh -q -c $script:LibvirtUri net-undefine $network *> $null
    }

    foreach ($link in Get-TestLinkNames | Where-Object { Test-TestName $_ }) {
        & ip link delete $link *> $null
    }

    foreach ($namespace in @(& ip netns list | ForEach-Object { ($_ -split ' ')[0] }) | Where-Object { Test-TestName $_ }) {
        & ip netns delete $namespace *> $null
    }
}

<#
.SYNOPSIS
    Deletes HybridNet firewall rules and chains of test bridges ("hybridnet:hnt…" comments and
    HYBRIDNET-hnt… chains), which a test bridge removed by hand instead of Remove-HybridBridge leaves.
#>
function Remove-TestFirewallRules {
    foreach ($table in 'filter', 'nat') {
        foreach ($line in @(& iptables -w 5 -t $table -S) | Where-Object { $_ -match "^-A .*hybridnet:$($script:TestPrefix)" }) {
            # -S prints the rule as arguments; the comment is quoted, and -D takes the same words.
            $words = [regex]::Matches($line, '"[^"]*"|\S+') | ForEach-Object { $_.Value.Trim('"') }
            & iptables -w 5 -t $table -D @($words | Select-Object -Skip 1) *> $null
        }
    }

    foreach ($chain in @(& iptables -w 5 -S) | Where-Object { $_ -match "^-N (HYBRIDNET-$($script:TestPrefix)\S*)" } | ForEach-Object { $Matches[1] }) {
        & iptables -w 5 -F $chain *> $null
        & iptables -w 5 -X $chain *> $null
    }
}

<#
.SYNOPSIS
    Starts a detached lab container with the test label and returns its name.
#>
function New-TestContainer {
    param(
        [Parameter(Mandatory)][string] $Name,
        [string] $Network
    )

    $arguments = @('run', '-d', '--restart', 'unless-stopped', '--name', $Name, '--label', 'hybridnet.test=1')
    if ($Network) {
        $arguments += @('--network', $Network)
    }

    $arguments += 'hybridnet-lab/busybox:1'
    & docker @arguments | Out-Null
    if ($LASTEXITCODE -ne 0) {
        throw "docker run of test container '$Name' failed."
    }

    return $Name
}

<#
.SYNOPSIS
    Pings from inside a container's network namespace with the container's own busybox.
    Returns $true when a reply came back.
#>
function Test-ContainerPing {
    param(
        [Parameter(Mandatory)][string] $Container,
        [Parameter(Mandatory)][string] $Address
    )

    & docker exec $Container ping -c 1 -W 1 $Address *> $null
    return $LASTEXITCODE -eq 0
}

<#
.SYNOPSIS
    Stops a daemon the lab started, by the pid in its pid file, and waits until it has exited.
#>
function Stop-TestDaemon {
    param(
        [Parameter(Mandatory)][string] $PidFile,
        [int] $TimeoutSec = 60
    )

    $daemonPid = [int](Get-Content -Raw $PidFile).Trim()
    $process = Get-Process -Id $daemonPid -ErrorAction SilentlyContinue
    if (-not $process) {
        return
    }

    & kill -TERM $daemonPid
    if (-not $process.WaitForExit($TimeoutSec * 1000)) {
        throw "The daemon with pid $daemonPid did not exit within $TimeoutSec s."
    }
}

<#
.SYNOPSIS
    Creates a network namespace with a veth pair to the host (or into a bridge), standing in
    for another host. Returns the namespace name.
#>
function New-TestNamespace {
    param(
        [Parameter(Mandatory)][string] $Name,
        [Parameter(Mandatory)][string] $Address,
        [string] $Gateway,
        [string] $HostAddress,
        [string] $Bridge
    )

    $hostSide = "$Name" + 'h'
    & ip netns add $Name
    & ip link add $hostSide type veth peer name eth0 netns $Name
    if ($Bridge) {
        & ip link set $hostSide master $Bridge
    }
    elseif ($HostAddress) {
        & ip addr add $HostAddress dev $hostSide
    }

    & ip link set $hostSide up
    & ip -n $Name addr add $Address dev eth0
    & ip -n $Name link set eth0 up
    & ip -n $Name link set lo up
    if ($Gateway) {
        & ip -n $Name route add default via $Gateway
    }

    return $Name
}

function Remove-TestNamespace {
    param([string] $Name)

    & ip netns delete $Name *> $null
    & ip link delete ($Name + 'h') *> $null
}

<#
.SYNOPSIS
    Pings from a test namespace. Returns $true when a reply came back.
#>
function Test-NamespacePing {
    param(
        [Parameter(Mandatory)][string] $Namespace,
        [Parameter(Mandatory)][string] $Address
    )

    & ip netns exec $Namespace ping -c 1 -W 1 $Address *> $null
    return $LASTEXITCODE -eq 0
}

Export-ModuleMember -Function *
