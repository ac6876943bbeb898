# plot.gp - draws bench/results/sweep.csv (written by bench/sweep.sh):
# input rows per second of the best run per configuration as bars, and the
# parallel efficiency as lines on the right axis.
#
#   gnuplot -e "csv='bench/results/sweep.csv'; png='bench/results/sweep.png'; cores=2" bench/plot.gp
#
# Columns used: 1 config, 16 input_rows_per_second, 18 efficiency (speedup
# over 1x1 divided by ranks x threads), 19 efficiency_per_core (divided by
# the cores really there, which differs for oversubscribed runs).
if (!exists("csv")) csv = 'bench/results/sweep.csv'
if (!exists("png")) png = 'bench/results/sweep.png'
if (!exists("cores")) cores = 0

set datafile separator ','
set terminal pngcairo size 960,560 font 'sans,11'
set output png
set title sprintf("ocpagg scaling sweep on %d cores: same dataset, ranks x threads", cores)
set style fill solid 0.55 border -1
set boxwidth 0.6
set xlabel 'MPI ranks x OpenMP threads per rank'
set ylabel 'input rows per second (millions)'
set y2label 'parallel efficiency'
stats csv skip 1 using 16 nooutput
set yrange [0:STATS_max / 1e6 * 1.45]
set y2range [0:1.5]
set ytics nomirror
set y2tics 0.2
set grid y2tics
set key top left box opaque
set offsets 0.5, 0.5, 0, 0

plot csv skip 1 using 0:($16/1e6):xtic(1) with boxes lc rgb '#4a7ebb' title 'rows/s, best run', \
     '' skip 1 using 0:($16/1e6):(sprintf('%.2f M/s', $16/1e6)) with labels offset 0,0.9 notitle, \
     '' skip 1 using 0:18 axes x1y2 with linespoints lw 2 pt 7 lc rgb '#c0392b' title 'efficiency per rank x thread', \
     '' skip 1 using 0:19 axes x1y2 with linespoints lw 2 pt 5 dt 2 lc rgb '#27ae60' title 'efficiency per core used'
