import Foundation
import Testing

@testable import Gateway

#if canImport(Glibc)
import Glibc
#endif

/// Files the gateway trusts (configuration, JWKS, revocation list, signing key) are refused
/// when someone other than their owner can change them, or their owner is another user.
@Suite struct ConfigTrustFileTests {
    // MARK: trust files

    final class Directory {
        let path: String
        init() throws {
            path = NSTemporaryDirectory() + "ringgate-trust-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }

        func write(_ name: String, _ text: String, mode: mode_t) throws -> String {
            let file = path + "/" + name
            try text.write(toFile: file, atomically: false, encoding: .utf8)
            #expect(chmod(file, mode) == 0)
            return file
        }
    }

    static let minimalConfig = """
        resources:
          - name: a
            protocol: postgres
            listen: 127.0.0.1:7001
            upstream: 127.0.0.1:5432
        """

    @Test(arguments: [mode_t(0o664), 0o646, 0o666, 0o620])
    func aConfigurationFileWritableByOthersIsRefused(mode: mode_t) throws {
        let directory = try Directory()
        let file = try directory.write("ringgate.yaml", Self.minimalConfig, mode: mode)
        #expect(throws: ConfigValidationError.self) { try ConfigLoader.load(path: file) }
        do {
            _ = try ConfigLoader.load(path: file)
        } catch {
            #expect(error.diagnostics.count == 1)
            #expect(error.diagnostics.first?.message.contains("writable by group or others") == true)
            #expect(error.diagnostics.first?.description.hasPrefix("\(file):1:1:") == true)
        }
    }

    @Test(arguments: [mode_t(0o644), 0o640, 0o600, 0o444])
    func aConfigurationFileOnlyItsOwnerCanWriteLoads(mode: mode_t) throws {
        let directory = try Directory()
        let file = try directory.write("ringgate.yaml", Self.minimalConfig, mode: mode)
        #expect(try ConfigLoader.load(path: file).resources.count == 1)
    }

    @Test func trustFilesOwnedByAnotherUserAreRefused() throws {
        // Only root can give a file away; elsewhere the ownership branch cannot be set up.
        guard geteuid() == 0 else { return }
        let directory = try Directory()
        let config = try directory.write("ringgate.yaml", Self.minimalConfig, mode: 0o644)
        #expect(chown(config, 65534, 65534) == 0)
        do {
            _ = try ConfigLoader.load(path: config)
            Issue.record("a configuration file owned by another user was loaded")
        } catch {
            #expect(error.diagnostics.first?.message.contains("owned by uid 65534") == true)
        }
        let revocations = try directory.write("revoked.txt", "t1\n", mode: 0o644)
        #expect(chown(revocations, 65534, 65534) == 0)
        #expect(throws: IdentityConfigurationError.self) { try RevocationList.read(path: revocations) }

        let keyPath = directory.path + "/signing.key"
        try GatewaySigningKey.generate().write(toNewFile: keyPath)
        #expect(try GatewaySigningKey.load(path: keyPath).keyID.isEmpty == false)
        #expect(chown(keyPath, 65534, 65534) == 0)
        #expect(throws: IdentityConfigurationError.self) { try GatewaySigningKey.load(path: keyPath) }
    }

    @Test func revocationAndJWKSFilesWritableByOthersAreRefused() async throws {
        let directory = try Directory()
        let revocations = try directory.write("revoked.txt", "t1\n", mode: 0o666)
        do {
            _ = try RevocationList.read(path: revocations)
            Issue.record("a world-writable revocation file was read")
        } catch {
            #expect(error.message.contains("revocation file \(revocations) is writable by group or others"))
        }
        #expect(chmod(revocations, 0o644) == 0)
        #expect(try RevocationList.read(path: revocations) == ["t1"])

        let jwks = try directory.write("jwks.json", #"{"keys":[]}"#, mode: 0o664)
        do {
            _ = try await FileJWKSFetcher(path: jwks).fetchJWKS()
            Issue.record("a group-writable JWKS file was read")
        } catch {
            #expect(error.message.contains("JWKS file"))
            #expect(error.message.contains("writable by group or others"))
        }
        #expect(chmod(jwks, 0o640) == 0)
        #expect(try await FileJWKSFetcher(path: jwks).fetchJWKS().count == 11)
    }
}
