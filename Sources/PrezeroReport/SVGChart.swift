import Foundation

/// Small self-contained SVG charts (no scripts, no external fonts): bars, stacked bars, lines.
package enum SVGChart {
    static let palette = ["#4269d0", "#efb118", "#ff725c", "#6cc5b0", "#3ca951", "#ff8ab7", "#a463f2", "#97bbf5", "#9c6b4e", "#9498a0"]
    /// The baseline's colour in every chart.
    static let baselineColour = "#7f7f7f"
    /// Places in the stacked cost chart: earth tones, apart from the policies' colours.
    static let placePalette = ["#1b3a5c", "#8c6d31", "#b5cf6b", "#843c39", "#d6616b", "#7b4173"]
    static let width = 760.0

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// Labels longer than `limit` characters end in an ellipsis.
    static func clip(_ label: String, _ limit: Int = 34) -> String {
        label.count <= limit ? label : String(label.prefix(limit - 1)) + "…"
    }

    /// Legend entries flowing left to right, wrapping at the chart width. Returns SVG and height used.
    static func flowLegend(_ names: [String], colours: [String]? = nil, top: Double) -> (String, Double) {
        var svg = ""
        var x = 40.0
        var y = top
        for (k, raw) in names.enumerated() {
            let colour = colours.map { $0[k] } ?? palette[k % palette.count]
            let name = clip(raw, 40)
            let w = 26 + Double(name.count) * 7
            if x + w > width - 20 && x > 40 {
                x = 40
                y += 18
            }
            svg += "<rect x=\"\(x)\" y=\"\(y - 10)\" width=\"12\" height=\"12\" fill=\"\(colour)\"/>\n"
            svg += "<text x=\"\(x + 16)\" y=\"\(y)\">\(escape(name))</text>\n"
            x += w
        }
        return (svg, y - top + 18)
    }

    static func header(_ height: Double, _ title: String) -> String {
        """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(Int(width / 2))" y="22" text-anchor="middle" font-size="15" font-weight="bold">\(escape(title))</text>

        """
    }

    /// Human numbers: 1.2k, 3.4M, 5.6 G.
    package static func short(_ v: Double) -> String {
        let a = abs(v)
        if a >= 1e9 { return trim(v / 1e9) + "G" }
        if a >= 1e6 { return trim(v / 1e6) + "M" }
        if a >= 1e3 { return trim(v / 1e3) + "k" }
        return trim(v)
    }

    static func trim(_ v: Double) -> String {
        let text = String(format: abs(v) >= 100 ? "%.0f" : abs(v) >= 10 ? "%.1f" : "%.2f", v)
        guard text.contains(".") else { return text }
        var t = text
        while t.hasSuffix("0") { t.removeLast() }
        if t.hasSuffix(".") { t.removeLast() }
        return t
    }

    /// Round tick step for a range.
    static func ticks(max: Double, count: Int = 5) -> [Double] {
        guard max > 0 else { return [0, 1] }
        let raw = max / Double(count)
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? raw
        // From 0 to the first tick at or above the maximum.
        var t: [Double] = [0]
        while (t.last ?? 0) < max * 0.9999 && t.count < 13 { t.append(Double(t.count) * step) }
        return t
    }

    /// Horizontal bars, one per row, each in its row's colour.
    package static func bars(title: String, unit: String, rows: [(String, Double, String)]) -> String {
        let left = 230.0
        let right = width - 90
        let rowHeight = 30.0
        let height = 70 + rowHeight * Double(rows.count) + 30
        let maxValue = rows.map(\.1).max() ?? 1
        let axis = ticks(max: maxValue)
        let scale = (right - left) / max(axis.last ?? maxValue, 1e-12)
        var svg = header(height, title)
        for t in axis {
            let x = left + t * scale
            svg += "<line x1=\"\(x)\" y1=\"40\" x2=\"\(x)\" y2=\"\(height - 40)\" stroke=\"#e5e5e5\"/>\n"
            svg += "<text x=\"\(x)\" y=\"\(height - 24)\" text-anchor=\"middle\" fill=\"#555\">\(short(t))</text>\n"
        }
        svg += "<text x=\"\((left + right) / 2)\" y=\"\(height - 6)\" text-anchor=\"middle\" fill=\"#333\">\(escape(unit))</text>\n"
        for (i, (label, value, color)) in rows.enumerated() {
            let y = 50 + Double(i) * rowHeight
            svg += "<text x=\"\(left - 8)\" y=\"\(y + 15)\" text-anchor=\"end\">\(escape(clip(label)))</text>\n"
            svg += "<rect x=\"\(left)\" y=\"\(y + 3)\" width=\"\(max(0, value * scale))\" height=\"\(rowHeight - 8)\" fill=\"\(color)\"/>\n"
            svg += "<text x=\"\(left + max(0, value * scale) + 5)\" y=\"\(y + 15)\" fill=\"#333\">\(short(value))</text>\n"
        }
        return svg + "</svg>\n"
    }

    /// Horizontal stacked bars: each row split into named segments.
    package static func stacked(title: String, unit: String, segments: [String], rows: [(String, [Double])]) -> String {
        let left = 230.0
        let right = width - 90
        let rowHeight = 30.0
        let height = 100 + rowHeight * Double(rows.count) + 30
        let maxValue = rows.map { $0.1.reduce(0, +) }.max() ?? 1
        let axis = ticks(max: maxValue)
        let scale = (right - left) / max(axis.last ?? maxValue, 1e-12)
        var svg = header(height, title)
        for t in axis {
            let x = left + t * scale
            svg += "<line x1=\"\(x)\" y1=\"40\" x2=\"\(x)\" y2=\"\(height - 70)\" stroke=\"#e5e5e5\"/>\n"
            svg += "<text x=\"\(x)\" y=\"\(height - 54)\" text-anchor=\"middle\" fill=\"#555\">\(short(t))</text>\n"
        }
        svg += "<text x=\"\((left + right) / 2)\" y=\"\(height - 38)\" text-anchor=\"middle\" fill=\"#333\">\(escape(unit))</text>\n"
        for (i, (label, values)) in rows.enumerated() {
            let y = 50 + Double(i) * rowHeight
            svg += "<text x=\"\(left - 8)\" y=\"\(y + 15)\" text-anchor=\"end\">\(escape(clip(label)))</text>\n"
            var x = left
            for (k, v) in values.enumerated() where v > 0 {
                svg += "<rect x=\"\(x)\" y=\"\(y + 3)\" width=\"\(v * scale)\" height=\"\(rowHeight - 8)\" fill=\"\(placePalette[k % placePalette.count])\"/>\n"
                x += v * scale
            }
            svg += "<text x=\"\(x + 5)\" y=\"\(y + 15)\" fill=\"#333\">\(short(values.reduce(0, +)))</text>\n"
        }
        svg += flowLegend(segments, colours: segments.indices.map { placePalette[$0 % placePalette.count] }, top: height - 20).0
        return svg + "</svg>\n"
    }

    /// Lines (one per series, in its colour) over x. `logX` asks for a log axis, used only when
    /// the data span at least a factor of 20; otherwise the axis is linear over the data's range.
    /// `steps` draws each series as a step function (a CDF: flat until the next point's x).
    package static func lines(
        title: String, xLabel: String, yLabel: String, series: [(String, String, [(Double, Double)])], logX: Bool = false,
        steps: Bool = false
    ) -> String {
        let (left, right, top, bottom) = (80.0, width - 30, 40.0, 330.0)
        let (legendSVG, legendHeight) = flowLegend(series.map(\.0), colours: series.map(\.1), top: bottom + 58)
        let height = bottom + 58 + legendHeight + 10
        let points = series.flatMap(\.2)
        let rawMin = points.map(\.0).min() ?? 0
        let rawMax = points.map(\.0).max() ?? 1
        let useLog = logX && rawMin > 0 && rawMax / rawMin >= 20
        var minX: Double
        var maxX: Double
        var xTicks: [Double]
        if useLog {
            minX = floor(log10(rawMin))
            maxX = ceil(log10(rawMax))
            xTicks = stride(from: minX, through: maxX, by: 1).map { pow(10, $0) }
        } else {
            let span = max(rawMax - rawMin, abs(rawMax) * 0.1, 1e-9)
            let low = logX ? max(0, rawMin - span * 0.1) : min(0, rawMin)
            let step = ticks(max: span * 1.2, count: 5).dropFirst().first ?? span
            minX = floor(low / step) * step
            maxX = max(ceil((rawMax + span * 0.05) / step) * step, minX + step)
            xTicks = stride(from: minX, through: maxX + step * 0.01, by: step).map { $0 }
        }
        let yTicks = ticks(max: points.map(\.1).max() ?? 1)
        let maxY = max(yTicks.last ?? 1, 1e-12)
        func px(_ x: Double) -> Double {
            let v = useLog ? log10(max(x, 1e-12)) : x
            return left + (v - minX) / (maxX - minX) * (right - left)
        }
        func py(_ y: Double) -> Double { bottom - y / maxY * (bottom - top) }
        var svg = header(height, title)
        for t in yTicks {
            svg += "<line x1=\"\(left)\" y1=\"\(py(t))\" x2=\"\(right)\" y2=\"\(py(t))\" stroke=\"#e5e5e5\"/>\n"
            svg += "<text x=\"\(left - 6)\" y=\"\(py(t) + 4)\" text-anchor=\"end\" fill=\"#555\">\(short(t))</text>\n"
        }
        for t in xTicks {
            let x = px(t)
            svg += "<line x1=\"\(x)\" y1=\"\(top)\" x2=\"\(x)\" y2=\"\(bottom)\" stroke=\"#f0f0f0\"/>\n"
            svg += "<text x=\"\(x)\" y=\"\(bottom + 16)\" text-anchor=\"middle\" fill=\"#555\">\(short(t))</text>\n"
        }
        svg += "<line x1=\"\(left)\" y1=\"\(bottom)\" x2=\"\(right)\" y2=\"\(bottom)\" stroke=\"#333\"/>\n"
        svg += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(bottom)\" stroke=\"#333\"/>\n"
        svg += axisNames(useLog ? xLabel : xLabel.replacingOccurrences(of: " (log scale)", with: ""), yLabel, left: left, right: right, top: top, bottom: bottom)
        for (_, colour, all) in series where !all.isEmpty {
            // At most ~400 points a line: enough for the eye, small files.
            let stride = max(1, all.count / 400)
            var data = all.enumerated().filter { $0.offset % stride == 0 || $0.offset == all.count - 1 }.map(\.element)
            if steps {
                // Up at each x to the fraction at or below it, flat until the next x.
                var stepped: [(Double, Double)] = []
                var previous = 0.0
                for (x, y) in data {
                    stepped.append((x, previous))
                    stepped.append((x, y))
                    previous = y
                }
                data = stepped
            }
            let path = data.map { "\(px($0.0)),\(py($0.1))" }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" stroke-opacity=\"0.85\" points=\"\(path)\"/>\n"
        }
        return svg + legendSVG + "</svg>\n"
    }

    /// The x axis's name under the plot, the y axis's turned along its left side.
    static func axisNames(_ xLabel: String, _ yLabel: String, left: Double, right: Double, top: Double, bottom: Double) -> String {
        "<text x=\"\((left + right) / 2)\" y=\"\(bottom + 36)\" text-anchor=\"middle\" fill=\"#333\">\(escape(xLabel))</text>\n"
            + "<text x=\"18\" y=\"\((top + bottom) / 2)\" text-anchor=\"middle\" fill=\"#333\" transform=\"rotate(-90 18 \((top + bottom) / 2))\">\(escape(yLabel))</text>\n"
    }

    /// A change in percent on a signed log axis: linear within ±1 %, logarithmic beyond, so
    /// +3,000 % and -3 % both read.
    static func symlog(_ percent: Double) -> Double { (percent < 0 ? -1 : 1) * log10(1 + abs(percent)) }

    /// Ticks of a signed log axis covering `low...high` (percent).
    /// Powers of ten out to the first at or beyond each end (at least ±1 %).
    static func symlogTicks(_ low: Double, _ high: Double) -> [Double] {
        var ticks: [Double] = [0]
        var t = 1.0
        repeat {
            ticks.append(t)
            t *= 10
        } while t / 10 < high && t <= 1e7
        t = 1
        repeat {
            ticks.insert(-t, at: 0)
            t *= 10
        } while t / 10 < -low && t <= 1e7
        return ticks
    }

    static func percentText(_ p: Double) -> String {
        (p > 0 ? "+" : "") + (abs(p) >= 1000 ? short(p) : trim(p)) + "%"
    }

    /// A tornado chart: per row a bar from one end of an input's range to the other (the change
    /// at each end, percent), and the nominal change as a tick. Rows are grouped as given.
    package static func tornado(title: String, unit: String, rows: [(label: String, low: Double, high: Double, nominal: Double, colour: String)]) -> String {
        let left = 300.0
        let right = width - 30
        let rowHeight = 24.0
        let height = 70 + rowHeight * Double(rows.count) + 40
        let values = rows.flatMap { [$0.low, $0.high, $0.nominal] }
        let ticks = symlogTicks(min(values.min() ?? -1, -1), max(values.max() ?? 1, 1))
        let (a, b) = (symlog(ticks.first ?? -1), symlog(ticks.last ?? 1))
        func px(_ p: Double) -> Double { left + (symlog(p) - a) / max(b - a, 1e-9) * (right - left) }
        var svg = header(height, title)
        let bottom = height - 50
        for t in ticks {
            svg += "<line x1=\"\(px(t))\" y1=\"40\" x2=\"\(px(t))\" y2=\"\(bottom)\" stroke=\"\(t == 0 ? "#333" : "#e5e5e5")\"/>\n"
            svg += "<text x=\"\(px(t))\" y=\"\(bottom + 16)\" text-anchor=\"middle\" fill=\"#555\">\(escape(percentText(t)))</text>\n"
        }
        svg += "<text x=\"\((left + right) / 2)\" y=\"\(bottom + 36)\" text-anchor=\"middle\" fill=\"#333\">\(escape(unit))</text>\n"
        for (i, row) in rows.enumerated() {
            let y = 46 + Double(i) * rowHeight
            let (x1, x2) = (px(min(row.low, row.high)), px(max(row.low, row.high)))
            svg += "<text x=\"\(left - 8)\" y=\"\(y + 13)\" text-anchor=\"end\">\(escape(clip(row.label, 44)))</text>\n"
            svg += "<rect x=\"\(x1)\" y=\"\(y + 3)\" width=\"\(max(2, x2 - x1))\" height=\"\(rowHeight - 8)\" fill=\"\(row.colour)\" fill-opacity=\"0.8\"/>\n"
            svg += "<line x1=\"\(px(row.nominal))\" y1=\"\(y)\" x2=\"\(px(row.nominal))\" y2=\"\(y + rowHeight - 2)\" stroke=\"black\" stroke-width=\"2\"/>\n"
        }
        return svg + "</svg>\n"
    }

    /// Changes (percent, signed log axis) over lines touched per fault (log2 axis), one line per
    /// series, with the zero line where a series crosses its break-even.
    package static func breakEven(title: String, xLabel: String, yLabel: String, series: [(String, String, [(Double, Double)])], maxX: Double) -> String {
        let (left, right, top, bottom) = (80.0, width - 30, 40.0, 330.0)
        let (legendSVG, legendHeight) = flowLegend(series.map(\.0), colours: series.map(\.1), top: bottom + 58)
        let height = bottom + 58 + legendHeight + 10
        let ys = series.flatMap { $0.2.map(\.1) }
        let yTicks = symlogTicks(min(ys.min() ?? -1, -1), max(ys.max() ?? 1, 1))
        let (a, b) = (symlog(yTicks.first ?? -1), symlog(yTicks.last ?? 1))
        let xMax = log2(max(maxX, 2))
        func px(_ x: Double) -> Double { left + log2(max(x, 1)) / xMax * (right - left) }
        func py(_ p: Double) -> Double { bottom - (symlog(p) - a) / max(b - a, 1e-9) * (bottom - top) }
        var svg = header(height, title)
        for t in yTicks {
            svg += "<line x1=\"\(left)\" y1=\"\(py(t))\" x2=\"\(right)\" y2=\"\(py(t))\" stroke=\"\(t == 0 ? "#333" : "#e5e5e5")\"/>\n"
            svg += "<text x=\"\(left - 6)\" y=\"\(py(t) + 4)\" text-anchor=\"end\" fill=\"#555\">\(escape(percentText(t)))</text>\n"
        }
        var x = 1.0
        while x <= maxX {
            svg += "<line x1=\"\(px(x))\" y1=\"\(top)\" x2=\"\(px(x))\" y2=\"\(bottom)\" stroke=\"#f0f0f0\"/>\n"
            svg += "<text x=\"\(px(x))\" y=\"\(bottom + 16)\" text-anchor=\"middle\" fill=\"#555\">\(Int(x))</text>\n"
            x *= 2
        }
        svg += axisNames(xLabel, yLabel, left: left, right: right, top: top, bottom: bottom)
        for (_, colour, points) in series where !points.isEmpty {
            let path = points.map { "\(px($0.0)),\(py($0.1))" }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(path)\"/>\n"
            for p in points { svg += "<circle cx=\"\(px(p.0))\" cy=\"\(py(p.1))\" r=\"3\" fill=\"\(colour)\"/>\n" }
        }
        return svg + legendSVG + "</svg>\n"
    }
}
