import Codecs
import Gateway
import Testing

/// Hostile or corrupted SCRAM server messages must end in a `SCRAMError` (or, if the
/// mutation happens to keep them valid, a normal step), never a trap.
@Suite struct SCRAMFuzzTests {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    @Test func mutatedServerMessagesNeverTrap() {
        var rng = Generator(state: 0xF0CC)
        let serverFirst = Array(SCRAMClientTests.serverFirst.utf8)
        let serverFinal = Array(SCRAMClientTests.serverFinal.utf8)
        let alphabet = Array("r=s,i0123456789+/=ABCxyz%$,,,m=e=v=".utf8) + [0, 0xFF, 0x80]
        var outcomes = [0, 0, 0]
        for round in 0..<150 {
            var first = serverFirst
            var final = serverFinal
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                var target = Bool.random(using: &rng) ? first : final
                if target.isEmpty { continue }
                let at = Int.random(in: 0..<target.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: target[at] = alphabet.randomElement(using: &rng)!
                case 1: target.remove(at: at)
                default: target.insert(alphabet.randomElement(using: &rng)!, at: at)
                }
                if round % 2 == 0 { first = target } else { final = target }
            }
            var scram = SCRAMSHA256Client(username: Array("user".utf8), password: Array("pencil".utf8),
                                          clientNonce: Array(SCRAMClientTests.clientNonce.utf8),
                                          primitives: SwiftCryptoAuthPrimitives(), iterationRange: 4096...4096)
            do {
                _ = try scram.clientFirstMessage()
                _ = try scram.receive(serverFirst: first)
                try scram.receive(serverFinal: final)
                outcomes[0] += 1
            } catch {
                outcomes[scram.state == .failed ? 1 : 2] += 1
            }
            _ = Base64.decode(first)
        }
        // Failures always leave the machine failed; the harness saw both outcomes.
        #expect(outcomes[2] == 0)
        #expect(outcomes[1] > 0)
    }
}
