using System;
using System.IO;
using System.Management.Automation;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;

namespace HybridNet.Internal;

/// <summary>
/// The module's own AssemblyLoadContext. It loads HybridNet.Engine and every third-party
/// library (Docker.DotNet, CliWrap, Newtonsoft.Json) from the dependencies/ folder, so a copy
/// of the same library that pwsh or another module already loaded cannot replace ours.
/// </summary>
internal sealed class HybridNetLoadContext : AssemblyLoadContext
{
    public const string EngineAssemblyName = "HybridNet.Engine";

    private static readonly object s_gate = new();
    private static HybridNetLoadContext? s_instance;
    private static bool s_hooked;
    private readonly string _dependencyDirectory;

    private HybridNetLoadContext(string dependencyDirectory)
        : base("HybridNet", isCollectible: false)
    {
        _dependencyDirectory = dependencyDirectory;
    }

    /// <summary>dependencies/ beside HybridNet.dll.</summary>
    public static string DependencyDirectory =>
        Path.Combine(Path.GetDirectoryName(typeof(HybridNetLoadContext).Assembly.Location) ?? ".", "dependencies");

    /// <summary>
    /// Hooks the default context's Resolving event for the engine assembly only. Idempotent;
    /// runs from the assembly's module initializer and again on each Import-Module.
    /// </summary>
    public static void Hook()
    {
        lock (s_gate)
        {
            if (!s_hooked)
            {
                Default.Resolving += ResolveEngine;
                s_hooked = true;
            }
        }
    }

    public static void Unhook()
    {
        lock (s_gate)
        {
            if (s_hooked)
            {
                Default.Resolving -= ResolveEngine;
                s_hooked = false;
            }
        }
    }

    protected override Assembly? Load(AssemblyName assemblyName)
    {
        var path = Path.Combine(_dependencyDirectory, assemblyName.Name + ".dll");

        // Returning null lets the default context supply the framework assemblies.
        return File.Exists(path) ? LoadFromAssemblyPath(path) : null;
    }

    private static Assembly? ResolveEngine(AssemblyLoadContext context, AssemblyName name)
    {
        if (!string.Equals(name.Name, EngineAssemblyName, StringComparison.Ordinal))
        {
            return null;
        }

        lock (s_gate)
        {
            s_instance ??= new HybridNetLoadContext(DependencyDirectory);
        }

        return s_instance.LoadFromAssemblyName(name);
    }

    // A library module initializer is what is wanted here: the resolver must be in place before
    // PowerShell reflects over the cmdlet types, which can happen before OnImport runs.
#pragma warning disable CA2255
    [ModuleInitializer]
    internal static void InitializeOnLoad() => Hook();
#pragma warning restore CA2255
}

/// <summary>Hooks the resolver on Import-Module and unhooks it on Remove-Module.</summary>
public sealed class ModuleLifecycle : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    public void OnImport() => HybridNetLoadContext.Hook();

    public void OnRemove(PSModuleInfo psModuleInfo) => HybridNetLoadContext.Unhook();
}
