# chart.gp: one bench cell as a PNG: the rate and p95 over time (where the load generator
# reports them each second), then the CPU use and the resident memory of every sampled process.
# bench/report.py runs it as
#   gnuplot -e "samples='cells/X.samples.csv'; rates='cells/X.rate.csv' (or ''); out='cells/X.png';
#               heading='...'; names='service-0 bridge ...'; columns='2 4 ...'" bench/chart.gp
# samples: bench/sample's CSV; columns: the CPU column of each name there (its RSS is the next);
# rates: "elapsed_s,rate,p95_ms,vus" on the same time base; memory (optional, memory cells):
# "elapsed_s,service_bridge_rss_mb", drawn on a linear scale against limit (MB); rssnames and
# rsscolumns: the names with an RSS and its column (whole cores, core-N, have none).
if (!exists('memory')) memory = ''
if (!exists('limit')) limit = '200'
if (!exists('rssnames')) rssnames = names
if (!exists('rsscolumns')) rsscolumns = ''
panels = 2 + ((rates ne '') ? 1 : 0) + ((memory ne '') ? 1 : 0)
if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {
    set terminal pngcairo size 1000, 260 * panels + 40 font 'sans,9'
} else {
    set terminal png size 1000, 260 * panels + 40
}
set output out
set datafile separator comma
set key autotitle columnheader outside right top
set grid
# The same plot area in every panel, so their time axes line up.
set lmargin at screen 0.07
set rmargin at screen 0.82
stats samples using 1 nooutput
set xrange [0:STATS_max]
set xlabel 'seconds since the load generator started'
set multiplot layout panels, 1 title heading

if (rates ne '') {
    set ylabel 'requests/s'
    set y2label 'p95 ms'
    set ytics nomirror
    set y2tics
    set yrange [0:*]
    set y2range [0:*]
    plot rates using 1:2 with lines lw 2 title 'rate/s', \
         rates using 1:3 axes x1y2 with lines lw 1 title 'p95 ms'
    unset y2label
    unset y2tics
    set ytics mirror
}

set ylabel 'CPU % of one core'
set yrange [0:*]
plot for [k = 1:words(names)] samples \
    using 1:(column(int(word(columns, k)))) with lines lw 1.5 title word(names, k)

# Log scale: PostgreSQL's summed RSS (hundreds of MB) would flatten the others.
set ylabel 'RSS MB (log scale)'
set logscale y
set yrange [*:*]
if (rsscolumns eq '') {
    plot for [k = 1:words(names)] samples \
        using 1:(column(int(word(columns, k)) + 1)) with lines lw 1.5 title word(names, k)
} else {
    plot for [k = 1:words(rssnames)] samples \
        using 1:(column(int(word(rsscolumns, k)))) with lines lw 1.5 title word(rssnames, k)
}

if (memory ne '') {
    unset logscale y
    set ylabel 'service + bridge RSS MB'
    set yrange [0:*]
    plot memory using 1:2 with lines lw 2 title 'service + bridge', \
         real(limit) with lines dt 2 lw 1 title sprintf('limit %s MB', limit)
}
unset multiplot
