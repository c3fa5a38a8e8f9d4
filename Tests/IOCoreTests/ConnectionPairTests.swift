import Testing
@testable import IOCore

/// Drives the connection state machine directly, without sockets (both backends run it).
@Suite struct ConnectionPairTests {
    /// Fills a pool buffer with `bytes` the way a recv would and queues it, as a session's
    /// `forwardAll()` does.
    func receive(_ bytes: [UInt8], from side: ProxySide, into pair: inout ConnectionPair, pool: inout BufferPool) {
        let id = pool.acquire()
        bytes.withUnsafeBytes { pool.address(of: id).copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        pair[from: side].enqueue(id, length: bytes.count, pool: &pool)
    }

    @Test func queuesWritesInOrderAndHandlesShortWrites() throws {
        var pool = try BufferPool(bufferSize: 1024, count: 8)
        var pair = ConnectionPair(highWaterMark: 4096)
        pair.phase = .established
        receive(Array("abc".utf8), from: .client, into: &pair, pool: &pool)
        #expect(pair.canStartWrite(from: .client))
        pair.fromClient.writing = true
        receive(Array("defg".utf8), from: .client, into: &pair, pool: &pool)
        #expect(!pair.canStartWrite(from: .client), "a write is already in flight")
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

    @Test func slicesWriteOnlyTheirRange() throws {
        var pool = try BufferPool(bufferSize: 64, count: 4)
        var flow = Flow()
        let id = pool.acquire()
        Array("0123456789".utf8).withUnsafeBytes { pool.address(of: id).copyMemory(from: $0.baseAddress!, byteCount: 10) }
        flow.enqueue(id, start: 3, end: 7, pool: &pool)
        #expect(flow.queuedBytes == 4)
        let w1 = try #require(flow.pendingWrite(pool: pool).map(Array.init))
        #expect(w1 == Array("3456".utf8))
        flow.consume(1, pool: &pool)
        let w2 = try #require(flow.pendingWrite(pool: pool).map(Array.init))
        #expect(w2 == Array("456".utf8))
        flow.extendTail(by: 2, pool: &pool)
        let w3 = try #require(flow.pendingWrite(pool: pool).map(Array.init))
        #expect(w3 == Array("45678".utf8))
        flow.consume(5, pool: &pool)
        let inUse = pool.inUse
        #expect(flow.isEmpty && inUse == 0)
    }

    @Test func reservedBuffersStayOffTheReceivePath() throws {
        var pool = try BufferPool(bufferSize: 64, count: 8, reserved: 2)
        var received = 0
        while pool.acquire() != BufferPool.none { received += 1 }
        #expect(received == 6, "reads never take a reserved buffer")
        let available = pool.available
        #expect(available == 0)
        let first = pool.acquireReserve()
        let second = pool.acquireReserve()
        let reserved = pool.isReserved(first)
        #expect(first != BufferPool.none && second != BufferPool.none && reserved)
        let third = pool.acquireReserve()
        #expect(third == BufferPool.none, "the reserve is bounded")
        pool.release(first)
        let again = pool.acquireReserve()
        #expect(again == first)
        let stillNone = pool.available
        #expect(stillNone == 0, "a released reserved buffer returns to the reserve, not to reads")
    }

    @Test func pausesAtHighWaterAndResumesAtLowWater() throws {
        var pool = try BufferPool(bufferSize: 1000, count: 16)
        var pair = ConnectionPair(highWaterMark: 4000)
        pair.phase = .established
        pair.fromUpstream.writing = true  // the client is not draining
        var paused = 0
        for _ in 0..<4 {
            receive([UInt8](repeating: 1, count: 1000), from: .upstream, into: &pair, pool: &pool)
            if pair.checkHighWaterMark(from: .upstream) { paused += 1 }
        }
        #expect(paused == 1, "pause is requested exactly once, at the mark")
        #expect(pair.fromUpstream.readPaused)
        #expect(!pair.wantsRead(.upstream))
        // Draining to above the low-water mark does not resume yet; at or below it does.
        let aboveLowWater = pair.wrote(1000, from: .upstream, pool: &pool)
        #expect(!aboveLowWater.resumeRead)
        let atLowWater = pair.wrote(1000, from: .upstream, pool: &pool)
        #expect(atLowWater.resumeRead)
        #expect(!pair.fromUpstream.readPaused)
    }

    @Test func oneBytePerBufferIsCappedByBufferCount() throws {
        var pool = try BufferPool(bufferSize: 1000, count: 64)
        var pair = ConnectionPair(highWaterMark: 4000, bufferSize: 1000)
        pair.phase = .established
        pair.fromClient.writing = true  // the upstream is busy
        var received = 0
        while !pair.checkHighWaterMark(from: .client) {
            receive([7], from: .client, into: &pair, pool: &pool)
            received += 1
        }
        #expect(received == pair.bufferLimit, "reading stops at \(pair.bufferLimit) buffers, not at 4000 one-byte buffers")
        #expect(pair.bufferLimit == 8)
        #expect(!pair.wantsRead(.client))
        for _ in 0..<4 { _ = pair.wrote(1, from: .client, pool: &pool) }
        #expect(pair.wantsRead(.client), "reading resumes at half the buffer limit")
    }

    @Test func halfCloseForwardsFinAfterQueuedBytes() throws {
        var pool = try BufferPool(bufferSize: 1024, count: 4)
        var pair = ConnectionPair(highWaterMark: 4096)
        pair.phase = .established
        receive(Array("tail".utf8), from: .client, into: &pair, pool: &pool)
        let finNow = pair.receivedEOF(from: .client)
        #expect(!finNow, "bytes still queued: FIN waits")
        let decision = pair.wrote(4, from: .client, pool: &pool)
        #expect(decision.shutdownSink, "FIN goes out once the queue drained")
        #expect(!pair.isCompleted, "the other direction is still open")
        let upstreamFinNow = pair.receivedEOF(from: .upstream)
        #expect(upstreamFinNow, "nothing queued: FIN goes out at once")
        #expect(pair.isCompleted)
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
