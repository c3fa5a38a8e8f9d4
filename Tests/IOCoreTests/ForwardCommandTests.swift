import CLibURing
import Glibc
import Testing
@testable import IOCore

/// Runs the real `ringgate forward` executable (built next to the test bundle) as a child
/// process: the exact command line the benchmark uses, real EMFILE on its own descriptor
/// table, and drain-then-exit on SIGTERM.
extension ProxyTests {
    @Suite struct ForwardCommand {
        /// `.build/<config>/ringgate`, found next to the running test binary.
        static func ringgatePath() throws -> String {
            var buffer = [CChar](repeating: 0, count: 4096)
            let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
            try #require(length > 0)
            var path = String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            // .../.build/debug/RingGatePackageTests.xctest → .../.build/debug/ringgate
            while let slash = path.lastIndex(of: "/") {
                path = String(path[..<slash])
                let candidate = path + "/ringgate"
                if access(candidate, X_OK) == 0 { return candidate }
                if path.hasSuffix("/.build") || path.isEmpty { break }
            }
            Issue.record("ringgate executable not found next to the test binary; run `swift build` first")
            throw TestSocketError(operation: "find ringgate", errno: ENOENT)
        }

        final class Child {
            let pid: pid_t
            let stderrFD: Int32
            var output = ""

            init(arguments: [String]) throws {
                var pipeFDs: [Int32] = [0, 0]
                try #require(pipe(&pipeFDs) == 0)
                var actions = posix_spawn_file_actions_t()
                posix_spawn_file_actions_init(&actions)
                posix_spawn_file_actions_adddup2(&actions, pipeFDs[1], 2)
                posix_spawn_file_actions_addclose(&actions, pipeFDs[0])
                var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
                defer { for arg in argv { free(arg) } }
                var child: pid_t = 0
                let rc = posix_spawn(&child, arguments[0], &actions, nil, &argv, environ)
                posix_spawn_file_actions_destroy(&actions)
                close(pipeFDs[1])
                guard rc == 0 else {
                    close(pipeFDs[0])
                    throw TestSocketError(operation: "posix_spawn", errno: rc)
                }
                pid = child
                stderrFD = pipeFDs[0]
                _ = fcntl(stderrFD, F_SETFL, fcntl(stderrFD, F_GETFL) | O_NONBLOCK)
            }

            deinit {
                kill(pid, SIGKILL)
                var status: Int32 = 0
                waitpid(pid, &status, 0)
                close(stderrFD)
            }

            /// Reads whatever the child wrote to stderr so far.
            func pump() {
                var buffer = [UInt8](repeating: 0, count: 4096)
                while true {
                    let n = read(stderrFD, &buffer, buffer.count)
                    if n <= 0 { return }
                    output += String(decoding: buffer[..<n], as: UTF8.self)
                }
            }

            /// Waits for a line containing `text`.
            func waitFor(_ text: String, seconds: Double = 30) -> Bool {
                eventually(seconds: seconds) {
                    pump()
                    return output.contains(text)
                }
            }

            /// The lowest descriptor number the child does not use: with its soft
            /// RLIMIT_NOFILE set to this, every accept fails with EMFILE.
            func lowestFreeDescriptor() -> Int {
                guard let directory = opendir("/proc/\(pid)/fd") else { return 0 }
                defer { closedir(directory) }
                var used = Set<Int>()
                while let entry = readdir(directory) {
                    let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                    }
                    if let fd = Int(name) { used.insert(fd) }
                }
                var lowest = 0
                while used.contains(lowest) { lowest += 1 }
                return lowest
            }

            /// User+system CPU time in clock ticks (from /proc/PID/stat).
            func cpuTicks() -> Int {
                guard let file = fopen("/proc/\(pid)/stat", "r") else { return 0 }
                defer { fclose(file) }
                var buffer = [CChar](repeating: 0, count: 4096)
                guard fgets(&buffer, Int32(buffer.count), file) != nil else { return 0 }
                let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                guard let close = text.lastIndex(of: ")") else { return 0 }
                let fields = text[text.index(after: close)...].split(separator: " ")
                // After "pid (comm)": state is field 0, utime 11, stime 12.
                guard fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) else { return 0 }
                return user + system
            }

            /// Waits for exit; returns the exit status or nil on timeout.
            func waitForExit(seconds: Double = 10) -> Int32? {
                var status: Int32 = 0
                var exited = false
                _ = eventually(seconds: seconds) {
                    pump()
                    if waitpid(pid, &status, WNOHANG) == pid { exited = true }
                    return exited
                }
                guard exited else { return nil }
                return (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
            }
        }

        /// Parses the port from "ringgate: forwarding 127.0.0.1:P -> ...".
        static func listeningPort(_ output: String) -> UInt16? {
            guard let line = output.split(separator: "\n").first(where: { $0.contains("forwarding") }),
                  let arrow = line.firstRange(of: " -> ") else { return nil }
            let listen = line[..<arrow.lowerBound]
            guard let colon = listen.lastIndex(of: ":") else { return nil }
            return UInt16(listen[listen.index(after: colon)...])
        }

        @Test(arguments: IOBackendKind.allCases)
        func forwardSurvivesEMFILEAndDrainsOnSIGTERM(backend: IOBackendKind) throws {
            let echo = try TestServer.echo()
            let child = try Child(arguments: [
                try Self.ringgatePath(), "forward",
                "--listen", "127.0.0.1:0", "--upstream", "\(echo.address)",
                "--io-backend", backend.rawValue, "--loops", "1",
                "--connect-timeout", "5", "--idle-timeout", "60", "--drain-timeout", "5",
            ])
            #expect(child.waitFor("forwarding"), "no start-up line: \(child.output)")
            #expect(child.output.contains("on \(backend.rawValue) with 1 loop"))
            let port = try #require(Self.listeningPort(child.output))
            let address = try SocketAddress(ipAddress: "127.0.0.1", port: port)

            let live = try TestSocket.connect(to: address)
            try live.send("hello")
            #expect(try live.read(exactly: 5) == Array("hello".utf8))

            // Give the child a tiny descriptor table, then storm it with connections.
            var old = rlimit()
            #expect(rg_prlimit(child.pid, Int32(RLIMIT_NOFILE.rawValue), nil, &old) == 0)
            let lowestFree = child.lowestFreeDescriptor()
            #expect(lowestFree > 3)
            var limit = rlimit(rlim_cur: rlim_t(lowestFree), rlim_max: old.rlim_max)
            #expect(rg_prlimit(child.pid, Int32(RLIMIT_NOFILE.rawValue), &limit, nil) == 0)
            var storm: [TestSocket] = []
            for _ in 0..<40 { if let socket = try? TestSocket.connect(to: address, timeoutSeconds: 2) { storm.append(socket) } }
            #expect(child.waitFor("accept paused: EMFILE", seconds: 5), "\(child.output)")
            let cpuBefore = child.cpuTicks()
            usleep(500_000)
            let cpuUsed = child.cpuTicks() - cpuBefore
            // A loop spinning on EMFILE burns ~50 ticks in 500 ms; a paused one almost none.
            #expect(cpuUsed < 15, "child used \(cpuUsed) CPU ticks in 500 ms with accept failing")
            // The established connection still works during the storm.
            try live.send("still")
            #expect(try live.read(exactly: 5) == Array("still".utf8))

            // Restore the limit and drop the storm: new connections are served again.
            #expect(rg_prlimit(child.pid, Int32(RLIMIT_NOFILE.rawValue), &old, nil) == 0)
            storm.removeAll()
            #expect(servesFreshConnection(address, echoing: "again"))

            // SIGTERM: stop accepting, let `live` finish, exit 0.
            kill(child.pid, SIGTERM)
            #expect(child.waitFor("SIGTERM received"))
            try live.send("drain")
            #expect(try live.read(exactly: 5) == Array("drain".utf8))
            live.shutdownWrite()
            #expect(try live.readToEnd().isEmpty)
            #expect(child.waitForExit() == 0, "\(child.output)")
            #expect(child.output.contains("close=completed"))
            try echo.stop()
        }
        /// Started at a soft descriptor limit of 256 (a shell's `ulimit -Sn`), `ringgate forward`
        /// runs at the hard limit: two sockets per connection and the io_uring file table are
        /// bounded by the operator's hard limit, not a distribution's default soft one.
        @Test func forwardRaisesTheSoftDescriptorLimit() throws {
            var own = rlimit()
            try #require(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &own) == 0)
            try #require(own.rlim_max > 256, "the hard limit must leave room above 256")
            let echo = try TestServer.echo()
            let child = try Child(arguments: [
                "/bin/sh", "-c", "ulimit -Sn 256 && exec \"$0\" \"$@\"", try Self.ringgatePath(), "forward",
                "--listen", "127.0.0.1:0", "--upstream", "\(echo.address)", "--loops", "1",
            ])
            #expect(child.waitFor("forwarding"), "no start-up line: \(child.output)")
            var limit = rlimit()
            #expect(rg_prlimit(child.pid, Int32(RLIMIT_NOFILE.rawValue), nil, &limit) == 0)
            #expect(limit.rlim_cur == own.rlim_max)
            #expect(limit.rlim_max == own.rlim_max)
            kill(child.pid, SIGTERM)
            #expect(child.waitForExit() == 0, "\(child.output)")
            try echo.stop()
        }
    }
}
