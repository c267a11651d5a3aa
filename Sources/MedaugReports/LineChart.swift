import Foundation

/// Training curves as an SVG file (a browser shows it; no plotting library
/// needed): one or more panels stacked vertically, each with its own y axis,
/// a legend, and x = epoch 1, 2, ….
public struct LineChart {
    /// One curve: a value per epoch; nil (or a non-finite value) leaves a gap.
    public struct Series {
        public var name: String
        public var values: [Double?]
        public init(name: String, values: [Double?]) {
            self.name = name
            self.values = values
        }
    }

    /// One set of axes.
    public struct Panel {
        public var title: String
        public var series: [Series]
        public init(title: String, series: [Series]) {
            self.title = title
            self.series = series
        }
    }

    public var title: String
    public var xLabel: String
    public var panels: [Panel]

    public init(title: String, xLabel: String = "epoch", panels: [Panel]) {
        self.title = title
        self.xLabel = xLabel
        self.panels = panels
    }

    static let colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
    static let (width, panelHeight, left, right, top, bottom) = (720.0, 260.0, 70.0, 160.0, 40.0, 40.0)

    /// The SVG document.
    public func svg() -> String {
        let height = Self.top + Double(panels.count) * (Self.panelHeight + Self.bottom) + 10
        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(Self.width))" height="\(Int(height))" \
        font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(Self.left)" y="22" font-size="15">\(Self.escape(title))</text>

        """
        for (index, panel) in panels.enumerated() {
            out += draw(panel, top: Self.top + Double(index) * (Self.panelHeight + Self.bottom))
        }
        return out + "</svg>\n"
    }

    /// Writes the SVG to `path` atomically (temporary file and rename).
    public func write(to path: String) throws {
        try Data(svg().utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    private func draw(_ panel: Panel, top: Double) -> String {
        let plotWidth = Self.width - Self.left - Self.right, plotHeight = Self.panelHeight - 30
        let y0 = top + 20
        let epochs = max(1, panel.series.map(\.values.count).max() ?? 1)
        let finite = panel.series.flatMap { $0.values.compactMap { $0 }.filter(\.isFinite) }
        var (low, high) = (finite.min() ?? 0, finite.max() ?? 1)
        if high - low < 1e-12 { (low, high) = (low - 0.5, high + 0.5) }
        let ticks = Self.niceTicks(low: low, high: high)
        (low, high) = (min(low, ticks.first!), max(high, ticks.last!))
        func x(_ epoch: Int) -> Double {
            Self.left + (epochs == 1 ? plotWidth / 2 : Double(epoch - 1) / Double(epochs - 1) * plotWidth)
        }
        func y(_ value: Double) -> Double { y0 + plotHeight - (value - low) / (high - low) * plotHeight }

        var out = "<text x=\"\(Self.left)\" y=\"\(Self.format(y0 - 6))\" font-weight=\"bold\">\(Self.escape(panel.title))</text>\n"
        out += "<rect x=\"\(Self.left)\" y=\"\(Self.format(y0))\" width=\"\(plotWidth)\" height=\"\(plotHeight)\" fill=\"none\" stroke=\"#999\"/>\n"
        for tick in ticks {
            out += "<line x1=\"\(Self.left)\" x2=\"\(Self.left + plotWidth)\" y1=\"\(Self.format(y(tick)))\" y2=\"\(Self.format(y(tick)))\" stroke=\"#eee\"/>"
            out += "<text x=\"\(Self.left - 6)\" y=\"\(Self.format(y(tick) + 4))\" text-anchor=\"end\">\(Self.label(tick))</text>\n"
        }
        let step = max(1, epochs / 10)
        for epoch in stride(from: 1, through: epochs, by: step) {
            out += "<text x=\"\(Self.format(x(epoch)))\" y=\"\(Self.format(y0 + plotHeight + 16))\" text-anchor=\"middle\">\(epoch)</text>\n"
        }
        out += "<text x=\"\(Self.format(Self.left + plotWidth / 2))\" y=\"\(Self.format(y0 + plotHeight + 32))\" text-anchor=\"middle\">\(Self.escape(xLabel))</text>\n"
        for (index, series) in panel.series.enumerated() {
            let colour = Self.colours[index % Self.colours.count]
            // Consecutive finite values form one polyline; gaps split it.
            var runs: [[String]] = [[]]
            for (i, value) in series.values.enumerated() {
                if let value, value.isFinite {
                    runs[runs.count - 1].append("\(Self.format(x(i + 1))),\(Self.format(y(value)))")
                } else if !runs[runs.count - 1].isEmpty {
                    runs.append([])
                }
            }
            for run in runs where !run.isEmpty {
                if run.count == 1 {
                    let xy = run[0].split(separator: ",")
                    out += "<circle cx=\"\(xy[0])\" cy=\"\(xy[1])\" r=\"3\" fill=\"\(colour)\"/>\n"
                } else {
                    out += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(run.joined(separator: " "))\"/>\n"
                }
            }
            let ly = y0 + 14 + Double(index) * 18
            out += "<line x1=\"\(Self.format(Self.left + plotWidth + 12))\" x2=\"\(Self.format(Self.left + plotWidth + 32))\" y1=\"\(Self.format(ly - 4))\" y2=\"\(Self.format(ly - 4))\" stroke=\"\(colour)\" stroke-width=\"2\"/>"
            out += "<text x=\"\(Self.format(Self.left + plotWidth + 38))\" y=\"\(Self.format(ly))\">\(Self.escape(series.name))</text>\n"
        }
        return out
    }

    /// About five round tick values covering [low, high].
    static func niceTicks(low: Double, high: Double) -> [Double] {
        let raw = (high - low) / 5
        let magnitude = Foundation.pow(10, (Foundation.log10(raw)).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        let first = (low / step).rounded(.down) * step
        return stride(from: first, through: high + step * 0.999, by: step).map { $0 }
    }

    static func label(_ value: Double) -> String {
        let a = abs(value)
        if a == 0 { return "0" }
        return a >= 1e4 || a < 1e-3 ? String(format: "%.1e", value) : String(format: "%g", (value * 1e6).rounded() / 1e6)
    }

    static func format(_ value: Double) -> String { String(format: "%.1f", value) }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
