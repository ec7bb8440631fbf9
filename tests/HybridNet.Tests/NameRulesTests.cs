using System;
using System.Text;
using HybridNet.Engine;
using HybridNet.Engine.Operations;
using Xunit;

namespace HybridNet.Tests;

public class NameRulesTests
{
    private static readonly string Label63 = new('a', 63);

    [Theory]
    [InlineData("a")]
    [InlineData("hnlab")]
    [InlineData("br0")]
    [InlineData("HnLab")]
    [InlineData("hn-lab_01.x")]
    [InlineData("abcdefghijklmno")]
    public void BridgeNameAccepted(string name)
    {
        Assert.Null(NameRules.CheckBridgeName(name));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void BridgeNameRejectsEmpty(string? name)
    {
        Assert.Equal("the name is empty", NameRules.CheckBridgeName(name));
    }

    [Fact]
    public void BridgeNameRejectsSixteenAsciiBytes()
    {
        var problem = NameRules.CheckBridgeName("abcdefghijklmnop");

        Assert.NotNull(problem);
        Assert.Contains("16 bytes", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void BridgeNameCountsUtf8Bytes()
    {
        // Ten characters of two UTF-8 bytes each: 20 bytes, over the 15-byte limit.
        const string name = "\u00c4\u00d6\u00dc\u00e4\u00f6\u00fc\u00df\u00c4\u00d6\u00dc";
        Assert.Equal(10, name.Length);
        Assert.Equal(20, Encoding.UTF8.GetByteCount(name));

        var problem = NameRules.CheckBridgeName(name);

        Assert.NotNull(problem);
        Assert.Contains("20 bytes", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void BridgeNameRejectsShortMultibyteName()
    {
        var problem = NameRules.CheckBridgeName("br\u00fccke");

        Assert.NotNull(problem);
        Assert.Contains("'\u00fc'", problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0br")]
    [InlineData("9")]
    [InlineData("-br")]
    [InlineData("_br")]
    [InlineData(".br")]
    public void BridgeNameMustStartWithLetter(string name)
    {
        Assert.Equal("it must start with a letter", NameRules.CheckBridgeName(name));
    }

    [Theory]
    [InlineData("br;x", "';'")]
    [InlineData("br$(x)", "'$'")]
    [InlineData("br`id`", "'`'")]
    [InlineData("br'x", "'''")]
    [InlineData("br\"x", "'\"'")]
    [InlineData("br/x", "'/'")]
    [InlineData("br:x", "':'")]
    [InlineData("br x", "U+0020")]
    [InlineData("br\tx", "U+0009")]
    [InlineData("br\nx", "U+000A")]
    [InlineData("br\u007fx", "U+007F")]
    public void BridgeNameRejectsCharacter(string name, string expectedCharacter)
    {
        var problem = NameRules.CheckBridgeName(name);

        Assert.NotNull(problem);
        Assert.Contains("contains the character " + expectedCharacter, problem, StringComparison.Ordinal);
    }

    // '\0' is the default char value, so a search for the first bad character with
    // FirstOrDefault must not take it for "none found".
    [Theory]
    [InlineData("br\0")]
    [InlineData("br\0;reboot")]
    public void BridgeNameRejectsNulCharacter(string name)
    {
        Assert.NotNull(NameRules.CheckBridgeName(name));
    }

    [Fact]
    public void ValidateBridgeNameThrowsWithErrorId()
    {
        var error = Assert.Throws<HybridNetException>(() => NameRules.ValidateBridgeName("0br"));

        Assert.Equal(ErrorIds.InvalidBridgeName, error.ErrorId);
        Assert.Equal(FailureKind.InvalidArgument, error.Kind);
        Assert.Equal("0br", error.Target);
        Assert.Equal(Messages.InvalidBridgeNameAction, error.RecommendedAction);
    }

    [Fact]
    public void ValidateBridgeNameAcceptsValidName()
    {
        Assert.Null(Record.Exception(() => NameRules.ValidateBridgeName("hnlab")));
    }

    // New-HybridBridge without -DnsDomain validates BridgeOperations.DefaultDnsDomain(name), so
    // every bridge name CheckBridgeName accepts must give a valid DNS domain.
    [Theory]
    [InlineData("hnlab")]
    [InlineData("HnLab")]
    [InlineData("br-0")]
    [InlineData("br.0")]
    [InlineData("hn_lab")]
    [InlineData("lab-")]
    [InlineData("lab.")]
    [InlineData("a..b")]
    public void DefaultDomainOfValidNameIsValid(string name)
    {
        Assert.Null(NameRules.CheckBridgeName(name));

        var domain = BridgeOperations.DefaultDnsDomain(name);

        Assert.Null(Record.Exception(() => NameRules.ValidateDnsDomain(domain)));
    }

    [Theory]
    [InlineData("web01")]
    [InlineData("my_container.v2")]
    [InlineData("web+1")]
    [InlineData("6f1e3c2a8d0b")]
    [InlineData("0web")]
    public void MemberNameAccepted(string name)
    {
        Assert.Null(Record.Exception(() => NameRules.ValidateMemberName("container name", name)));
    }

    [Fact]
    public void MemberNameAcceptsMaximumLength()
    {
        var name = new string('w', 253);

        Assert.Null(Record.Exception(() => NameRules.ValidateMemberName("domain name", name)));
    }

    [Theory]
    [InlineData(null, "the name is empty")]
    [InlineData("", "the name is empty")]
    [InlineData("-rm", "must not start with '-' or '.'")]
    [InlineData("--force", "must not start with '-' or '.'")]
    [InlineData(".hidden", "must not start with '-' or '.'")]
    [InlineData("web;ls", "';'")]
    [InlineData("$(id)", "'$'")]
    [InlineData("web`id`", "'`'")]
    [InlineData("web\nx", "U+000A")]
    [InlineData("web x", "U+0020")]
    [InlineData("web'", "'''")]
    [InlineData("web\"", "'\"'")]
    [InlineData("web/x", "'/'")]
    [InlineData("w\u00e9b", "'\u00e9'")]
    public void MemberNameRejected(string? name, string reason)
    {
        var error = Assert.Throws<HybridNetException>(() => NameRules.ValidateMemberName("container name", name));

        Assert.Equal(ErrorIds.InvalidName, error.ErrorId);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MemberNameRejectsOverLength()
    {
        var error = Assert.Throws<HybridNetException>(
            () => NameRules.ValidateMemberName("domain name", new string('w', 254)));

        Assert.Contains("254 characters", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MemberNameMessageNamesKind()
    {
        var error = Assert.Throws<HybridNetException>(() => NameRules.ValidateMemberName("domain name", "-x"));

        Assert.StartsWith("The domain name '-x' is invalid", error.Message, StringComparison.Ordinal);
    }

    // Member names use the same FirstOrDefault search as bridge names, so a NUL needs its own case.
    [Fact]
    public void MemberNameRejectsNulCharacter()
    {
        Assert.Throws<HybridNetException>(() => NameRules.ValidateMemberName("container name", "web\0x"));
    }

    [Theory]
    [InlineData("lab")]
    [InlineData("hnlab.internal")]
    [InlineData("a-b.example")]
    [InlineData("x1.y2.z3")]
    [InlineData("LAB.Internal")]
    public void DnsDomainAccepted(string domain)
    {
        Assert.Null(Record.Exception(() => NameRules.ValidateDnsDomain(domain)));
    }

    [Fact]
    public void DnsDomainAcceptsMaximumSizes()
    {
        // Three 63-character labels, three dots and an 8-character label: 200 characters.
        var domain = $"{Label63}.{Label63}.{Label63}.abcdefgh";
        Assert.Equal(200, domain.Length);

        Assert.Null(Record.Exception(() => NameRules.ValidateDnsDomain(domain)));
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("lab.")]
    [InlineData(".lab")]
    [InlineData("a..b")]
    [InlineData("-lab.internal")]
    [InlineData("lab-.internal")]
    [InlineData("hn_lab.internal")]
    [InlineData("lab internal")]
    [InlineData("l\u00e4b.internal")]
    [InlineData("lab;reboot")]
    [InlineData("lab\n.internal")]
    public void DnsDomainRejected(string domain)
    {
        var error = Assert.Throws<HybridNetException>(() => NameRules.ValidateDnsDomain(domain));

        Assert.Equal(ErrorIds.InvalidName, error.ErrorId);
    }

    [Fact]
    public void DnsDomainRejectsLongLabel()
    {
        var domain = new string('a', 64) + ".internal";

        Assert.Throws<HybridNetException>(() => NameRules.ValidateDnsDomain(domain));
    }

    [Fact]
    public void DnsDomainRejectsLongName()
    {
        var domain = $"{Label63}.{Label63}.{Label63}.abcdefghi";
        Assert.Equal(201, domain.Length);

        Assert.Throws<HybridNetException>(() => NameRules.ValidateDnsDomain(domain));
    }
}
