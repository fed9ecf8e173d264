package model

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	mysqldrv "github.com/go-sql-driver/mysql"
)

// Connections to MySQL/MariaDB go through nodeConnector, which knows one
// server or the ordered list of a MariaDB Galera cluster's nodes
// (`user:pw@tcp(db1:3306,db2:3306,db3:3306)/qinqing?…`). Every new
// connection goes to the first node of the list that accepts it and, on
// Galera, is ready (wsrep_ready = ON and the node Synced with the Primary
// Component): failover in a fixed order, not round-robin, so that every
// instance given the same list writes through the same node while it is
// healthy. A node that refused a connection, or answered that it is not
// ready, is skipped for nodeDownFor before it is tried again; pooled
// connections live connMaxLifetime, so an instance returns to its first
// node within a minute of that node's return.
//
// On Galera each connection also sets wsrep_sync_wait = 3 (unless the DSN
// sets it): a read, a BEGIN, or an UPDATE/DELETE outside a transaction
// waits until the node has applied every write the cluster had committed
// when it began, so a client that writes through one instance (node) and
// reads or changes it through another sees its write. (1 alone covers
// reads and transactions only: a plain UPDATE on node 2 could miss rows
// just inserted through node 1, as clearing sign-in failures did.)
//
// A node that leaves the Primary Component still accepts connections, and
// answers statements with error 1047 (WSREP has not yet prepared node for
// application use) or, during the split, 1180. Such a connection is marked
// bad: database/sql discards it, and a statement outside a transaction
// that got 1047 is retried by database/sql on a new connection (the node
// refused it, so it was not executed), which goes to the next node.

const (
	// nodeDownFor is how long a node that failed is skipped.
	nodeDownFor = 2 * time.Second
	// connMaxLifetime bounds a pooled connection's life, and so how long
	// an instance stays on a fallback node once its first node is back.
	connMaxLifetime = time.Minute
)

// MySQL and MariaDB (Galera) error numbers the store treats specially.
const (
	errDeadlock      = 1213 // InnoDB deadlock; on Galera also a certification conflict
	errLockWait      = 1205 // lock wait timeout; on Galera also a causal read that cannot wait
	errWsrepNotReady = 1047 // the node is not in the Primary Component
	errWsrepAppend   = 1180 // a write failed to replicate (split in progress)
)

// ClusterStats counts what the connector did (for tests, the benchmark and
// the operator's log).
type ClusterStats struct {
	// Galera is set once a connected server reported wsrep_on = ON.
	Galera atomic.Bool
	// Connects is the number of connections opened, Failovers those opened
	// on another node than the first of the list, NodeErrors the nodes
	// found dead or not ready (at connect, or by a statement's 1047/1180).
	Connects, Failovers, NodeErrors atomic.Int64
	// Current is the index (from 0) of the node of the newest connection.
	Current atomic.Int32
}

// nodeConnector opens connections to the first ready node (see above).
type nodeConnector struct {
	nodes []driver.Connector
	addrs []string
	// syncWait is set on every Galera connection ("" when the DSN sets it).
	syncWait string
	log      *slog.Logger
	stats    *ClusterStats

	mu   sync.Mutex
	down []time.Time // a node is skipped until this time
}

// splitNodes returns the addresses of a DSN whose tcp(…) lists several,
// comma-separated, and the DSN of each one.
func splitNodes(dsn string) (addrs, dsns []string) {
	open := strings.Index(dsn, "@tcp(")
	if open < 0 {
		return nil, []string{dsn}
	}
	open += len("@tcp(")
	end := strings.IndexByte(dsn[open:], ')')
	if end < 0 {
		return nil, []string{dsn}
	}
	list := dsn[open : open+end]
	for _, a := range strings.Split(list, ",") {
		a = strings.TrimSpace(a)
		addrs = append(addrs, a)
		dsns = append(dsns, dsn[:open]+a+dsn[open+end:])
	}
	return addrs, dsns
}

// newNodeConnector parses dsn (one address or several) and applies tune to
// each node's configuration.
func newNodeConnector(dsn string, tune func(*mysqldrv.Config), log *slog.Logger) (*nodeConnector, *mysqldrv.Config, error) {
	addrs, dsns := splitNodes(dsn)
	c := &nodeConnector{addrs: addrs, syncWait: "3", log: log, stats: &ClusterStats{}}
	var first *mysqldrv.Config
	for _, d := range dsns {
		cfg, err := mysqldrv.ParseDSN(d)
		if err != nil {
			return nil, nil, fmt.Errorf("model: mysql DSN: %w", err)
		}
		tune(cfg)
		if _, set := cfg.Params["wsrep_sync_wait"]; set {
			c.syncWait = ""
		}
		conn, err := mysqldrv.NewConnector(cfg)
		if err != nil {
			return nil, nil, fmt.Errorf("model: mysql DSN: %w", err)
		}
		if first == nil {
			first = cfg
		}
		c.nodes = append(c.nodes, conn)
	}
	if len(c.addrs) == 0 {
		c.addrs = []string{first.Addr}
	}
	c.down = make([]time.Time, len(c.nodes))
	return c, first, nil
}

// nodeDriver is the connector's driver; it leads from a *sql.DB back to the
// connector's statistics.
type nodeDriver struct {
	mysqldrv.MySQLDriver
	c *nodeConnector
}

func (c *nodeConnector) Driver() driver.Driver { return nodeDriver{c: c} }

// Connect opens a connection on the first node that is up and ready,
// skipping nodes that failed within nodeDownFor unless no other is left.
func (c *nodeConnector) Connect(ctx context.Context) (driver.Conn, error) {
	now := time.Now()
	var errs []error
	tried := make([]bool, len(c.nodes))
	for pass := 0; pass < 2; pass++ {
		for i := range c.nodes {
			if tried[i] || (pass == 0 && now.Before(c.downUntil(i))) {
				continue
			}
			tried[i] = true
			conn, err := c.open(ctx, i)
			if err == nil {
				c.stats.Connects.Add(1)
				c.stats.Current.Store(int32(i))
				if i > 0 {
					c.stats.Failovers.Add(1)
				}
				return conn, nil
			}
			errs = append(errs, fmt.Errorf("%s: %w", c.addrs[i], err))
			c.markDown(i)
			if ctx.Err() != nil {
				return nil, fmt.Errorf("%w: %w", ErrUnavailable, errors.Join(errs...))
			}
		}
	}
	if len(c.nodes) == 1 {
		return nil, errs[0] // one server: the driver's own error, as before
	}
	return nil, fmt.Errorf("%w: no database node is ready: %w", ErrUnavailable, errors.Join(errs...))
}

func (c *nodeConnector) downUntil(i int) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.down[i]
}

func (c *nodeConnector) markDown(i int) {
	c.mu.Lock()
	c.down[i] = time.Now().Add(nodeDownFor)
	c.mu.Unlock()
	c.stats.NodeErrors.Add(1)
	if c.log != nil && len(c.nodes) > 1 {
		c.log.Warn("数据库节点不可用，改用列表中的下一个节点", "node", c.addrs[i])
	}
}

// errNodeNotReady: a Galera node answered but is not Synced in the Primary
// Component.
var errNodeNotReady = errors.New("galera node not ready")

// open connects to node i and checks it.
func (c *nodeConnector) open(ctx context.Context, i int) (driver.Conn, error) {
	conn, err := c.nodes[i].Connect(ctx)
	if err != nil {
		return nil, err
	}
	galera, err := c.probe(ctx, conn)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if !galera {
		return conn, nil
	}
	return &nodeConn{Conn: conn, c: c, node: i}, nil
}

// probe tells whether the server runs Galera and, if so, whether it is
// ready (then it also sets the session's causal reads).
func (c *nodeConnector) probe(ctx context.Context, conn driver.Conn) (bool, error) {
	on, err := queryStrings(ctx, conn, "SHOW GLOBAL VARIABLES LIKE 'wsrep_on'")
	if err != nil || on["wsrep_on"] != "ON" {
		return false, err // MySQL, TiDB, MariaDB without Galera
	}
	vals, err := queryStrings(ctx, conn, "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_ready', 'wsrep_local_state_comment')")
	if err != nil {
		return true, err
	}
	c.stats.Galera.Store(true)
	if vals["wsrep_ready"] != "ON" || vals["wsrep_local_state_comment"] != "Synced" {
		return true, fmt.Errorf("%w: wsrep_ready %s, state %s", errNodeNotReady, vals["wsrep_ready"], vals["wsrep_local_state_comment"])
	}
	if c.syncWait != "" {
		if _, err := conn.(driver.ExecerContext).ExecContext(ctx, "SET SESSION wsrep_sync_wait = "+c.syncWait, nil); err != nil {
			return true, err
		}
	}
	return true, nil
}

// queryStrings runs a two-column statement (name, value) on conn.
func queryStrings(ctx context.Context, conn driver.Conn, q string) (map[string]string, error) {
	rows, err := conn.(driver.QueryerContext).QueryContext(ctx, q, nil)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	vals := make([]driver.Value, len(rows.Columns()))
	for {
		if err := rows.Next(vals); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, err
		}
		if len(vals) >= 2 {
			out[asString(vals[0])] = asString(vals[1])
		}
	}
}

func asString(v driver.Value) string {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case string:
		return x
	default:
		return fmt.Sprint(x)
	}
}

// nodeConn is a connection to a Galera node. It watches the errors of its
// statements: 1047 or 1180 mark it bad (database/sql then discards it) and
// the node down for the next connections.
type nodeConn struct {
	driver.Conn
	c    *nodeConnector
	node int
	bad  atomic.Bool
	inTx bool
}

// notReady reports whether err says that the node left the Primary Component.
func notReady(err error) bool {
	var me *mysqldrv.MySQLError
	return errors.As(err, &me) && (me.Number == errWsrepNotReady || me.Number == errWsrepAppend)
}

// check marks the connection bad on a not-ready error. Outside a
// transaction a 1047 becomes driver.ErrBadConn: the node executed nothing,
// so database/sql may send the statement again on another connection.
func (n *nodeConn) check(err error) error {
	if err == nil || !notReady(err) {
		return err
	}
	if !n.bad.Swap(true) {
		n.c.markDown(n.node)
	}
	var me *mysqldrv.MySQLError
	if !n.inTx && errors.As(err, &me) && me.Number == errWsrepNotReady {
		return driver.ErrBadConn
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

func (n *nodeConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := n.Conn.(driver.QueryerContext).QueryContext(ctx, q, args)
	return rows, n.check(err)
}

func (n *nodeConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	res, err := n.Conn.(driver.ExecerContext).ExecContext(ctx, q, args)
	return res, n.check(err)
}

func (n *nodeConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	st, err := n.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, q)
	return st, n.check(err)
}

func (n *nodeConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := n.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
	if err != nil {
		return nil, n.check(err)
	}
	n.inTx = true
	return &nodeTx{Tx: tx, n: n}, nil
}

func (n *nodeConn) Ping(ctx context.Context) error {
	return n.check(n.Conn.(driver.Pinger).Ping(ctx))
}

func (n *nodeConn) CheckNamedValue(nv *driver.NamedValue) error {
	return n.Conn.(driver.NamedValueChecker).CheckNamedValue(nv)
}

func (n *nodeConn) ResetSession(ctx context.Context) error {
	if n.bad.Load() {
		return driver.ErrBadConn
	}
	return n.Conn.(driver.SessionResetter).ResetSession(ctx)
}

func (n *nodeConn) IsValid() bool {
	return !n.bad.Load() && n.Conn.(driver.Validator).IsValid()
}

// nodeTx ends the connection's transaction state.
type nodeTx struct {
	driver.Tx
	n *nodeConn
}

func (t *nodeTx) Commit() error {
	t.n.inTx = false
	return t.n.check(t.Tx.Commit())
}

func (t *nodeTx) Rollback() error {
	t.n.inTx = false
	return t.Tx.Rollback()
}

// clusterOf returns the connector behind db (nil for SQLite).
func clusterOf(sqlDB *sql.DB) *nodeConnector {
	if d, ok := sqlDB.Driver().(nodeDriver); ok {
		return d.c
	}
	return nil
}

// nodeReady checks that the node of one pooled connection is ready (on
// Galera: wsrep_ready = ON and Synced; a node outside the Primary
// Component still answers a ping and SELECT 1). A connection to a node
// that is not ready is discarded and the node skipped, so the next call
// opens a connection on another node.
func nodeReady(ctx context.Context, sqlDB *sql.DB) error {
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return formatError(err)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		n, ok := dc.(*nodeConn)
		if !ok {
			return nil // not Galera
		}
		vals, err := queryStrings(ctx, n.Conn, "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_ready', 'wsrep_local_state_comment')")
		if err == nil && (vals["wsrep_ready"] != "ON" || vals["wsrep_local_state_comment"] != "Synced") {
			err = fmt.Errorf("%w: wsrep_ready %s, state %s", errNodeNotReady, vals["wsrep_ready"], vals["wsrep_local_state_comment"])
		}
		if err != nil {
			if !n.bad.Swap(true) {
				n.c.markDown(n.node)
			}
			return fmt.Errorf("%w: %s: %w", ErrUnavailable, n.c.addrs[n.node], err)
		}
		return nil
	})
}
