using System;
using HybridNet.Engine.Host;
using Xunit;

namespace HybridNet.Tests;

// FormatCommandLine only builds display text, so none of these tests runs a program or a shell.
public class CommandLineFormatTests
{
    [Fact]
    public void FormatKeepsPlainArgumentsBare()
    {
        var line = CliCommandRunner.FormatCommandLine("ip", new[] { "-j", "-d", "addr", "show" });

        Assert.Equal("ip -j -d addr show", line);
    }

    [Fact]
    public void FormatOfProgramWithoutArguments()
    {
        Assert.Equal("virsh", CliCommandRunner.FormatCommandLine("virsh", Array.Empty<string>()));
    }

    [Theory]
    [InlineData("--net=/proc/4242/ns/net")]
    [InlineData("52:54:00:aa:bb:cc")]
    [InlineData("10.20.0.0/24")]
    [InlineData("10.20.0.128-10.20.0.254")]
    [InlineData("user@host")]
    [InlineData("50%")]
    [InlineData("a+b,c_d.e")]
    public void FormatLeavesSafeCharactersBare(string argument)
    {
        Assert.Equal("prog " + argument, CliCommandRunner.FormatCommandLine("prog", new[] { argument }));
    }

    [Theory]
    [InlineData("", "''")]
    [InlineData("two words", "'two words'")]
    [InlineData("tab\there", "'tab\there'")]
    [InlineData("line1\nline2", "'line1\nline2'")]
    [InlineData("$(reboot)", "'$(reboot)'")]
    [InlineData("`id`", "'`id`'")]
    [InlineData("$HOME", "'$HOME'")]
    [InlineData("a;rm -rf /", "'a;rm -rf /'")]
    [InlineData("a|b", "'a|b'")]
    [InlineData("a&&b", "'a&&b'")]
    [InlineData("out>file", "'out>file'")]
    [InlineData("*", "'*'")]
    [InlineData("~", "'~'")]
    [InlineData("say \"hi\"", "'say \"hi\"'")]
    [InlineData("br\u00fccke", "'br\u00fccke'")]
    public void FormatQuotesUnsafeArgument(string argument, string expected)
    {
        Assert.Equal("prog " + expected, CliCommandRunner.FormatCommandLine("prog", new[] { argument }));
    }

    [Theory]
    [InlineData("it's", @"'it'\''s'")]
    [InlineData("'", @"''\'''")]
    [InlineData("'$(id)'", @"''\''$(id)'\'''")]
    public void FormatEscapesSingleQuotes(string argument, string expected)
    {
        Assert.Equal("prog " + expected, CliCommandRunner.FormatCommandLine("prog", new[] { argument }));
    }

    [Fact]
    public void FormatQuotesOnlyArgumentsThatNeedIt()
    {
        var arguments = new[]
        {
            "net-update", "hnlab", "add", "ip-dhcp-host",
            "<host mac=\"52:54:00:aa:bb:cc\" ip=\"10.20.0.130\" />", "--live", "--config",
        };

        var line = CliCommandRunner.FormatCommandLine("virsh", arguments);

        Assert.Equal(
            "virsh net-update hnlab add ip-dhcp-host '<host mac=\"52:54:00:aa:bb:cc\" ip=\"10.20.0.130\" />' --live --config",
            line);
    }
}
