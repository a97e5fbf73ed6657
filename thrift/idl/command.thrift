// Remote command (RPC_CLI_CLI_CALL), served by every server process:
// protocol.md §2.5 and §3.7.8. The reply is the command's text output as a
// plain string, so the result field 0 has type STRING.

namespace go gen.cmd

struct command {
    1: string cmd;
    2: list<string> arguments;
}

service remote_cmd {
    string call(1: command cmd);
}
