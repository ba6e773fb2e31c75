/// A model block packed in 64 bits: zone (16), page within zone (32), order (8).
struct BlockRef {
    var zone: Int
    var page: Int
    var order: Int

    var packed: UInt64 { UInt64(zone) << 40 | UInt64(page) << 8 | UInt64(order) }

    init(zone: Int, page: Int, order: Int) {
        self.zone = zone
        self.page = page
        self.order = order
    }

    init(packed: UInt64) {
        zone = Int(packed >> 40)
        page = Int((packed >> 8) & 0xFFFF_FFFF)
        order = Int(packed & 0xFF)
    }
}
