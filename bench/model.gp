# model.gp - draws the scaling model (bench/model.py) and its check
# against the network-namespace runs (bench/model_netns.sh):
#
#   python3 bench/model.py table > bench/results/model_table.csv
#   python3 bench/model.py validate > bench/results/model_validation.csv
#   gnuplot bench/model.gp        # writes bench/results/model.png
#
# Left: predicted seconds for a month of 1, 10 and 100 large clusters
# (HDF5 layout) on 1-64 nodes of 4 ranks x 8 threads, as one job (solid)
# and as one-cluster jobs side by side (dashed).  Right: the exchange and
# finish seconds the model predicts for each netns run against those
# measured (the diagonal is a perfect prediction).
if (!exists("table")) table = 'bench/results/model_table.csv'
if (!exists("valid")) valid = 'bench/results/model_validation.csv'
if (!exists("png")) png = 'bench/results/model.png'

set datafile separator ','
set terminal pngcairo size 1200,520 font 'sans,10'
set output png
set multiplot layout 1,2

set title 'Predicted time of a month (HDF5 input, 10GbE, 4 ranks x 8 threads per node)'
set logscale xy 2
set xlabel 'nodes'
set ylabel 'seconds'
set xrange [0.8:80]
set key at graph 0.02, graph 0.6 left box opaque
set grid
sel(l, c, v) = (strcol(1) eq l && $2 == c) ? v : 1/0
plot for [c in "1 10 100"] table skip 1 using 3:(sel("hdf5", c+0, $11)) \
         with linespoints lw 2 title sprintf('%s cluster(s), one job', c), \
     for [c in "1 10 100"] table skip 1 using 3:(sel("hdf5", c+0, $13)) \
         with linespoints dt 2 lw 2 title sprintf('%s cluster(s), one job each', c)

set title 'Model vs network-namespace runs (tbf rate limits, 2-3 hosts)'
unset logscale
set logscale xy 10
set xlabel 'measured seconds'
set ylabel 'predicted seconds'
set xrange [0.01:5]
set yrange [0.01:5]
set key top left box opaque
plot x with lines lc rgb '#888888' title 'prediction = measurement', \
     valid skip 1 using 7:6 with points pt 7 ps 1.3 title 'exchange', \
     valid skip 1 using 9:8 with points pt 5 ps 1.3 title 'finish (report to rank 0)'
unset multiplot
