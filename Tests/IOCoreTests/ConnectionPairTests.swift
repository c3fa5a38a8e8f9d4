import Testing
@testable import IOCore

/// Drives the connection state machine directly, without sockets (both backends run it).
@Suite struct ConnectionPairTests {
    /// A session that terminates when it sees a 0xFF byte and upper-cases ASCII in place.
    struct UppercasingSession: ProxySession {
        init(context: SessionContext) {}
        mutating func inspect(_ bytes: UnsafeMutableRawBufferPointer, from side: ProxySide) -> SessionVerdict {
            for index in bytes.indices {
                if bytes[index] == 0xFF { return .terminate }
                if bytes[index] >= 0x61 && bytes[index] <= 0x7A { bytes[index] -= 0x20 }
            }
            return .forward
        }
    }

    static let context = SessionContext(listenerIndex: 0, listenerName: "unit")

    /// Fills a pool buffer with `bytes` the way a recv would.
    func receive(_ bytes: [UInt8], into pool: inout BufferPool) -> UInt16 {
        let id = pool.acquire()
        bytes.withUnsafeBytes { pool.address(of: id).copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        return id
    }

    @Test func queuesWritesInOrderAndHandlesShortWrites() throws {
        var pool = try BufferPool(bufferSize: 1024, count: 8)
        var pair = ConnectionPair(session: PassthroughSession(context: Self.context), highWaterMark: 4096)
        pair.phase = .established
        let first = pair.received(receive(Array("abc".utf8), into: &pool), length: 3, from: .client, pool: &pool)
        #expect(first.startWrite && !first.pauseRead && !first.terminate)
        pair.fromClient.writing = true
        let second = pair.received(receive(Array("defg".utf8), into: &pool), length: 4, from: .client, pool: &pool)
        #expect(!second.startWrite, "a write is already in flight")
        #expect(pair.fromClient.queuedBytes == 7)
        #expect(pool.inUse == 2)

        // Short write of the head buffer: it stays queued at an offset.
        var written = pair.fromClient.pendingWrite(pool: pool)
        var pending = try #require(written)
        #expect(Array(pending) == Array("abc".utf8))
        var decision = pair.wrote(2, from: .client, pool: &pool)
        #expect(decision.continueWrite)
        written = pair.fromClient.pendingWrite(pool: pool)
        pending = try #require(written)
        #expect(Array(pending) == Array("c".utf8))
        #expect(pool.inUse == 2)
        decision = pair.wrote(1, from: .client, pool: &pool)
        #expect(pool.inUse == 1, "the fully written buffer went back to the pool")
        written = pair.fromClient.pendingWrite(pool: pool)
        pending = try #require(written)
        #expect(Array(pending) == Array("defg".utf8))
        decision = pair.wrote(4, from: .client, pool: &pool)
        #expect(!decision.continueWrite)
        #expect(pool.inUse == 0)
        #expect(pair.fromClient.totalBytes == 7)
    }

    @Test func pausesAtHighWaterAndResumesAtLowWater() throws {
        var pool = try BufferPool(bufferSize: 1000, count: 16)
        var pair = ConnectionPair(session: PassthroughSession(context: Self.context), highWaterMark: 4000)
        pair.phase = .established
        pair.fromUpstream.writing = true  // the client is not draining
        var paused = 0
        for _ in 0..<4 {
            let id = receive([UInt8](repeating: 1, count: 1000), into: &pool)
            if pair.received(id, length: 1000, from: .upstream, pool: &pool).pauseRead { paused += 1 }
        }
        #expect(paused == 1, "pause is requested exactly once, at the mark")
        #expect(pair.fromUpstream.readPaused)
        // Draining to above the low-water mark does not resume yet; at or below it does.
        let aboveLowWater = pair.wrote(1000, from: .upstream, pool: &pool)
        #expect(!aboveLowWater.resumeRead)
        let atLowWater = pair.wrote(1000, from: .upstream, pool: &pool)
        #expect(atLowWater.resumeRead)
        #expect(!pair.fromUpstream.readPaused)
    }

    @Test func halfCloseForwardsFinAfterQueuedBytes() throws {
        var pool = try BufferPool(bufferSize: 1024, count: 4)
        var pair = ConnectionPair(session: PassthroughSession(context: Self.context), highWaterMark: 4096)
        pair.phase = .established
        _ = pair.received(receive(Array("tail".utf8), into: &pool), length: 4, from: .client, pool: &pool)
        let finNow = pair.receivedEOF(from: .client)
        #expect(!finNow, "bytes still queued: FIN waits")
        let decision = pair.wrote(4, from: .client, pool: &pool)
        #expect(decision.shutdownSink, "FIN goes out once the queue drained")
        #expect(!pair.isCompleted, "the other direction is still open")
        let upstreamFinNow = pair.receivedEOF(from: .upstream)
        #expect(upstreamFinNow, "nothing queued: FIN goes out at once")
        #expect(pair.isCompleted)
    }

    @Test func sessionRewritesInPlaceAndCanTerminate() throws {
        var pool = try BufferPool(bufferSize: 1024, count: 4)
        var pair = ConnectionPair(session: UppercasingSession(context: Self.context), highWaterMark: 4096)
        pair.phase = .established
        _ = pair.received(receive(Array("select 1".utf8), into: &pool), length: 8, from: .client, pool: &pool)
        let written = pair.fromClient.pendingWrite(pool: pool)
        let pending = try #require(written)
        #expect(String(decoding: pending, as: UTF8.self) == "SELECT 1")
        let verdict = pair.received(receive([0x41, 0xFF], into: &pool), length: 2, from: .client, pool: &pool)
        #expect(verdict.terminate)
        #expect(pool.inUse == 1, "the rejected buffer was released")
        pair.discard(pool: &pool)
        #expect(pool.inUse == 0)
    }

    @Test func userDataRoundTrips() {
        let tag = UserData(.sendToUpstream, slot: 4_000_000, generation: 0xABCDEF)
        #expect(tag.operation == .sendToUpstream)
        #expect(tag.slot == 4_000_000)
        #expect(tag.generation == 0xABCDEF)
        #expect(UserData(rawValue: 0).operation == nil)
    }
}

@Suite struct SocketAddressTests {
    @Test func parsesHostPortForms() throws {
        #expect(try SocketAddress(parsing: "127.0.0.1:5432").description == "127.0.0.1:5432")
        #expect(try SocketAddress(parsing: "[::1]:80").description == "[::1]:80")
        #expect(try SocketAddress(parsing: "localhost:7").port == 7)
        #expect(throws: SocketAddressError.self) { try SocketAddress(parsing: "127.0.0.1") }
        #expect(throws: SocketAddressError.self) { try SocketAddress(parsing: "127.0.0.1:99999") }
        #expect(throws: SocketAddressError.self) { try SocketAddress(parsing: ":80") }
        #expect(throws: SocketAddressError.self) { try SocketAddress(parsing: "[::1:80") }
    }
}
